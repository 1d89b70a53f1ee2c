using System.CommandLine;
using Mlops.Cli.Rendering;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary><c>mlops models [name]</c>: registered models, their versions, stages, aliases and main metric.</summary>
public static class ModelsCommand
{
    public static Command Create()
    {
        var name = new Argument<string?>("name") { Description = "One model (omit for all)", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("models", "List registered models with their versions and aliases") { name };
        command.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var names = parse.GetValue(name) is { } one
                ? [one]
                : ((await context.Client.ListModelsAsync(ct))?.AsArray() ?? []).Select(m => m?["name"]?.GetValue<string>()).OfType<string>().ToList();
            if (names.Count == 0)
            {
                AnsiConsole.MarkupLine("no model is registered yet (train one: mlops train --wait, or run mlops demo)");
                return 0;
            }

            var table = new Table().AddColumns("model", "version", "stage", "aliases", "auroc", "registered (UTC)");
            foreach (var model in names)
            {
                var state = (await context.Client.GetModelAsync(model, ct))!;
                var aliases = state["aliases"]?.AsObject().ToDictionary(a => a.Key, a => a.Value?.GetValue<string>()) ?? [];
                foreach (var (version, info) in state["versions"]?.AsObject() ?? [])
                {
                    var registration = info?["registration"];
                    var auroc = registration?["metrics"]?["overall"]?["auroc"]?.GetValue<double>();
                    var named = string.Join(", ", aliases.Where(a => a.Value == version).Select(a => a.Key));
                    table.AddRow(Markup.Escape(model), Markup.Escape(version), Markup.Escape(RunsCommand.Text(info?["stage"])),
                        named.Length == 0 ? "" : $"[bold green]{Markup.Escape(named)}[/]", auroc is { } a ? Ui.N(a) : "–",
                        Ui.When(info?["registeredAt"]));
                }
            }

            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }
}
