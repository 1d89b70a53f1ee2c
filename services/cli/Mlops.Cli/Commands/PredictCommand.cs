using System.CommandLine;
using System.Text.Json.Nodes;
using Mlops.Cli.Rendering;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary><c>mlops predict &lt;model&gt; &lt;entityId&gt;</c>: scores an entity from its online features.</summary>
public static class PredictCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Model name (served under its champion/canary routes)" };
        var entity = new Argument<string>("entityId") { Description = "Entity (patient) id" };
        var command = new Command("predict", "Predict for an entity with a model served by name") { model, entity };
        command.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var answer = await context.Client.PredictAsync(parse.GetValue(model)!, parse.GetValue(entity)!, ct);
            Print(parse.GetValue(entity)!, answer);
            return 0;
        }));
        return command;
    }

    /// <summary>One line: probability ± uncertainty, the model version and variant, the prediction id.</summary>
    public static void Print(string entityId, JsonNode? answer)
    {
        var p = answer?["probability"]?.GetValue<double>() ?? double.NaN;
        var u = answer?["uncertainty"]?.GetValue<double>() ?? double.NaN;
        var fallback = answer?["fallback"]?.GetValue<bool>() == true;
        var colour = p >= 0.5 ? "red" : p >= 0.2 ? "yellow" : "green";
        AnsiConsole.MarkupLine(
            $"   {Markup.Escape(entityId)}: [{colour}]{Ui.N(p)}[/] ± {Ui.N(u)}  model {Markup.Escape(RunsCommand.Text(answer?["modelName"]))} {Markup.Escape(RunsCommand.Text(answer?["modelVersion"]))}" +
            $" variant {Markup.Escape(RunsCommand.Text(answer?["variant"]))}{(fallback ? " [yellow](fallback rule)[/]" : "")}  prediction {Markup.Escape(RunsCommand.Text(answer?["predictionId"]))}");
    }
}
