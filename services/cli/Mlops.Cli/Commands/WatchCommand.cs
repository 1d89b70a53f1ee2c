using System.CommandLine;
using Mlops.Cli.Core.Streaming;
using Mlops.Cli.Rendering;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary><c>mlops watch</c>: prints predictions as they arrive on <c>predictions.v1</c> (Kafka, read directly).</summary>
public static class WatchCommand
{
    public static Command Create()
    {
        var entity = new Option<string?>("--entity") { Description = "Only this entity's predictions" };
        var count = new Option<int>("--count") { Description = "Stop after this many predictions (0: until Ctrl+C or --seconds)", DefaultValueFactory = _ => 0 };
        var seconds = new Option<int>("--seconds") { Description = "Stop after this many seconds (0: no limit)", DefaultValueFactory = _ => 0 };
        var command = new Command("watch", "Print predictions arriving on predictions.v1 (Kafka settings from the environment or .local/platform.env)") { entity, count, seconds };
        command.SetAction(CliContext.Action((context, parse, ct) =>
        {
            using var stream = PredictionStream.Open(context.Configuration);
            var only = parse.GetValue(entity);
            var limit = parse.GetValue(count);
            var deadline = parse.GetValue(seconds) is > 0 and var s ? DateTime.UtcNow.AddSeconds(s) : DateTime.MaxValue;
            var seen = 0;
            AnsiConsole.MarkupLine("[grey]watching predictions.v1 from now on[/]");
            while (!ct.IsCancellationRequested && DateTime.UtcNow < deadline && (limit == 0 || seen < limit))
            {
                if (stream.Next(TimeSpan.FromSeconds(1)) is { } p && (only is null || p.EntityId == only))
                {
                    seen++;
                    Print(p);
                }
            }

            return Task.FromResult(0);
        }));
        return command;
    }

    /// <summary>One prediction line.</summary>
    public static void Print(PredictionEvent p) =>
        AnsiConsole.MarkupLine($"   [grey]predictions.v1[/] {Markup.Escape(p.EntityId)}: {Ui.N(p.Probability)} ± {Ui.N(p.Uncertainty)}  " +
            $"{Markup.Escape(p.ModelName)} {Markup.Escape(p.ModelVersion)}{(p.Variant is null ? "" : " " + Markup.Escape(p.Variant))}" +
            $"{(p.Fallback ? " [yellow](fallback)[/]" : "")}  prediction {Markup.Escape(p.PredictionId ?? "–")}  trace {Markup.Escape(p.TraceId ?? "–")}");
}
