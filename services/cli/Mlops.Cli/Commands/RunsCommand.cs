using System.CommandLine;
using System.Text.Json.Nodes;
using Mlops.Cli.Rendering;
using Mlops.Cli.Training;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary><c>mlops runs</c>: recent runs as a table; <c>mlops runs &lt;id&gt;</c>: one run; <c>--compare &lt;id&gt;</c>: two side by side.</summary>
public static class RunsCommand
{
    public static Command Create()
    {
        var id = new Argument<Guid?>("id") { Description = "A run id (omit for the list)", Arity = ArgumentArity.ZeroOrOne };
        var model = new Option<string?>("--model") { Description = "Only runs of this model" };
        var limit = new Option<int>("--limit") { Description = "How many runs", DefaultValueFactory = _ => 20 };
        var compare = new Option<Guid?>("--compare") { Description = "Another run id to compare with" };
        var command = new Command("runs", "List training runs, show one, or compare two") { id, model, limit, compare };
        command.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            if (parse.GetValue(id) is { } runId)
            {
                if (parse.GetValue(compare) is { } other)
                {
                    PrintComparison(await context.Client.CompareRunsAsync(runId, other, ct));
                    return 0;
                }

                var view = (await context.Client.GetRunAsync(runId, ct))!;
                var run = view["run"]!;
                AnsiConsole.MarkupLine($"run [bold]{runId}[/] of [bold]{Markup.Escape(Text(run["modelName"]))}[/] ({Markup.Escape(Text(run["algorithm"]))}): {Markup.Escape(Text(run["status"]))}, step {Markup.Escape(Text(view["currentStep"] ?? run["currentStep"]))}");
                AnsiConsole.MarkupLine($"dataset {Markup.Escape(Text(run["datasetVersion"]))}, features {Markup.Escape(Text(run["featureSetVersion"]))}, code {Markup.Escape(Text(run["codeVersion"]))}");
                RunFollower.PrintOutcome(view);
                return 0;
            }

            var runs = (await context.Client.ListRunsAsync(parse.GetValue(model), parse.GetValue(limit), ct))?.AsArray() ?? [];
            var table = new Table().AddColumns("run", "model", "algorithm", "status", "step", "auroc", "started");
            foreach (var run in runs)
            {
                var auroc = run?["metrics"]?["auroc"]?.GetValue<double>();
                table.AddRow(Text(run?["runId"]), Markup.Escape(Text(run?["modelName"])), Markup.Escape(Text(run?["algorithm"])), Status(Text(run?["status"])),
                    Markup.Escape(Text(run?["failedStep"] ?? run?["currentStep"])), auroc is { } a ? Ui.N(a) : "–", Ui.When(run?["startedAt"]));
            }

            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    static void PrintComparison(JsonNode? comparison)
    {
        var table = new Table().AddColumns("metric", "a", "b", "b − a");
        foreach (var (name, values) in comparison?["metrics"]?.AsObject() ?? [])
        {
            table.AddRow(Markup.Escape(name), Num(values?["a"]), Num(values?["b"]), Num(values?["difference"]));
        }

        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"same parameters: {Text(comparison?["sameParameters"])}, same training set: {Text(comparison?["sameTrainingSet"])}, same model: {Text(comparison?["sameModel"])}");
    }

    static string Num(JsonNode? n) => n is null ? "–" : Ui.N(n.GetValue<double>(), "0.####");

    static string Status(string s) => s switch { "Completed" => "[green]Completed[/]", "Failed" => "[red]Failed[/]", _ => Markup.Escape(s) };

    internal static string Text(JsonNode? n) => n is null ? "–" : n is JsonValue v && v.TryGetValue<string>(out var s) ? s : n.ToJsonString();
}
