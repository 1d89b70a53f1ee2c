using System.CommandLine;
using System.Text.Json.Nodes;
using Mlops.Cli.Rendering;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary>
/// <c>mlops explain &lt;predictionId&gt;</c>: why the model said what it said — the prediction replayed from the raw
/// observations known at its moment and the exact model version (docs/lineage.md).
/// </summary>
public static class ExplainCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("predictionId") { Description = "The prediction's id (from a prediction's answer or predictions.v1)" };
        var json = new Option<bool>("--json") { Description = "Print the replay as JSON instead of tables" };
        var command = new Command("explain", "Replay a prediction from its raw observations and model version, with per-feature contributions") { id, json };
        command.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var replay = await context.Client.ExplainAsync(parse.GetValue(id)!, ct);
            if (parse.GetValue(json))
            {
                Console.WriteLine(replay?.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }

            Print(replay);
            return replay?["replayed"]?["matchesOriginal"]?.GetValue<bool>() == true ? 0 : 2;
        }));
        return command;
    }

    static void Print(JsonNode? replay)
    {
        var original = replay?["original"];
        var model = replay?["model"];
        var replayed = replay?["replayed"];
        AnsiConsole.MarkupLine($"[bold]Prediction {T(original?["predictionId"])}[/] for {T(original?["entityId"])} at {Ui.When(original?["predictedAt"])} ({T(original?["source"])}, trace {T(original?["traceId"])})");
        AnsiConsole.MarkupLine($"   model {T(model?["name"])} {T(model?["version"])} as {T(original?["variant"])}; artifact {T(model?["artifactSha256"])}{(model?["artifactVerified"]?.GetValue<bool>() == true ? " (verified)" : "")}");
        AnsiConsole.MarkupLine($"   trained by run {T(model?["trainingRunId"])} on dataset {T(model?["datasetVersion"])}, feature set {T(model?["featureSetVersion"])}, code {T(model?["codeVersion"])}");
        AnsiConsole.MarkupLine($"   vector at {Ui.When(original?["featureEventTime"])} as known at {Ui.When(original?["knownAt"])}");

        var observations = new Table().AddColumns("observation", "code", "value", "event time", "known at");
        foreach (var o in replay?["observations"]?.AsArray() ?? [])
        {
            observations.AddRow(T(o?["observationId"]), T(o?["code"]), Ui.N(o?["value"]?.GetValue<double>() ?? double.NaN, "0.###"), Ui.When(o?["eventTime"]), Ui.When(o?["knownAt"]));
        }

        AnsiConsole.Write(observations);

        var contributions = replay?["contributions"]?["byFeature"];
        var recomputed = replay?["recomputed"]?["features"]?.AsArray().ToDictionary(f => RunsCommand.Text(f?["name"]), f => f?["value"]);
        var features = new Table().AddColumns("feature", "scored", "recomputed", "contribution (log-odds)");
        foreach (var f in original?["features"]?.AsArray() ?? [])
        {
            var name = RunsCommand.Text(f?["name"]);
            features.AddRow(Markup.Escape(name), Number(f?["value"]), Number(recomputed?.GetValueOrDefault(name)),
                contributions?[name] is { } c ? Ui.N(c.GetValue<double>(), "+0.000;-0.000") : "–");
        }

        AnsiConsole.Write(features);
        AnsiConsole.MarkupLine($"   contributions by {T(replay?["contributions"]?["method"])} from baseline log-odds {Ui.N(replay?["contributions"]?["baselineLogOdds"]?.GetValue<double>() ?? double.NaN)}");

        var matches = replayed?["matchesOriginal"]?.GetValue<bool>() == true;
        AnsiConsole.MarkupLine($"   original {Ui.N(original?["probability"]?.GetValue<double>() ?? double.NaN, "0.000000")}, replayed {Ui.N(replayed?["probability"]?.GetValue<double>() ?? double.NaN, "0.000000")} from the {T(replayed?["scoredFrom"])} vector: " +
            (matches ? "[green]equal[/]" : $"[red]differs by {Ui.N(replayed?["absoluteDifference"]?.GetValue<double>() ?? double.NaN, "0.0e0")}[/]"));
        foreach (var note in replay?["notes"]?.AsArray() ?? [])
        {
            Ui.Warn(RunsCommand.Text(note));
        }
    }

    static string T(JsonNode? node) => Markup.Escape(RunsCommand.Text(node));

    static string Number(JsonNode? node) => node is null ? "missing" : Ui.N(node.GetValue<double>(), "0.####");
}
