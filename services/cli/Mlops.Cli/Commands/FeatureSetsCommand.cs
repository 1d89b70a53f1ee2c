using System.CommandLine;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary><c>mlops feature-sets</c>: the shipped feature set and the registered ones in use.</summary>
public static class FeatureSetsCommand
{
    public static Command Create()
    {
        var command = new Command("feature-sets", "List the feature definition sets in use (shipped and registered)");
        command.SetAction(CliContext.Action(async (context, _, ct) =>
        {
            var entries = (await context.Client.SendAsync(HttpMethod.Get, "api/features/definition-sets", null, null, ct))?.AsArray() ?? [];
            var table = new Table().AddColumns("name", "source", "version", "features", "registered (UTC)", "by");
            foreach (var entry in entries)
            {
                var names = entry?["featureNames"]?.AsArray().Select(n => n?.ToString()).ToList() ?? [];
                var shown = names.Count <= 4 ? string.Join(", ", names) : $"{string.Join(", ", names.Take(4))}, … ({names.Count})";
                table.AddRow(Markup.Escape(RunsCommand.Text(entry?["name"])), Markup.Escape(RunsCommand.Text(entry?["source"])),
                    Markup.Escape(RunsCommand.Text(entry?["version"])), Markup.Escape(shown), Rendering.Ui.When(entry?["registeredAt"]),
                    Markup.Escape(entry?["registeredBy"]?.ToString() ?? ""));
            }

            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }
}
