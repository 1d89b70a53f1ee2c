using System.Diagnostics;
using System.Text.Json.Nodes;
using Mlops.Cli.Core.Gateway;
using Mlops.Cli.Rendering;
using Spectre.Console;

namespace Mlops.Cli.Training;

/// <summary>Follows a training run step by step until it completes, fails or is cancelled.</summary>
public static class RunFollower
{
    /// <summary>The pipeline's steps, in order.</summary>
    public static readonly IReadOnlyList<string> Steps = ["ValidateData", "BuildTrainingSet", "Split", "Train", "Evaluate", "Export", "Verify", "Register"];

    static readonly string[] Finished = ["Completed", "Failed", "Cancelled"];

    /// <summary>Polls the run, printing each step as it finishes (with its duration); returns the final run view.</summary>
    public static async Task<JsonNode> FollowAsync(GatewayClient client, Guid runId, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonNode? view = null;
        string? current = null;
        var stepWatch = Stopwatch.StartNew();
        await AnsiConsole.Status().StartAsync("waiting for the pipeline", async status =>
        {
            while (true)
            {
                view = await client.GetRunAsync(runId, ct) ?? throw new InvalidOperationException($"run {runId} has no body");
                var run = view["run"]!;
                var state = run["status"]?.GetValue<string>() ?? "?";
                var step = view["currentStep"]?.GetValue<string>() ?? run["currentStep"]?.GetValue<string>();
                if (step != current && step is not null)
                {
                    MarkDone(current, step, stepWatch);
                    current = step;
                    stepWatch.Restart();
                }

                if (Finished.Contains(state))
                {
                    if (state == "Completed")
                    {
                        MarkDone(current, null, stepWatch);
                    }

                    return;
                }

                status.Status($"{state}: {step ?? "queued"} ({Ui.Seconds(stepWatch.Elapsed)})");
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"run {runId} did not finish within {timeout}; it is still {state} at {step}");
                }

                await Task.Delay(1000, ct);
            }
        });
        return view!;
    }

    /// <summary>Prints the run's outcome: metrics on success, the failed step and reason otherwise.</summary>
    public static void PrintOutcome(JsonNode view)
    {
        var run = view["run"]!;
        var status = run["status"]?.GetValue<string>();
        if (status == "Completed")
        {
            var metrics = run["metrics"]?.AsObject();
            var table = new Table().AddColumns("metric", "value");
            foreach (var name in new[] { "auroc", "auprc", "brier", "ece", "log_loss", "rows", "positive_rate", "p99_latency_ms" })
            {
                if (metrics?[name] is { } value)
                {
                    table.AddRow(name, Ui.N(value.GetValue<double>(), "0.####"));
                }
            }

            AnsiConsole.Write(table);
        }
        else
        {
            AnsiConsole.MarkupLine($"   [red]{Markup.Escape(status ?? "?")}[/] at step [bold]{Markup.Escape(run["failedStep"]?.GetValue<string>() ?? "?")}[/]: {Markup.Escape(run["failureReason"]?.GetValue<string>() ?? "(no reason recorded)")}");
        }
    }

    static void MarkDone(string? finished, string? next, Stopwatch watch)
    {
        if (finished is null)
        {
            return;
        }

        // Steps are sequential: everything from the finished one up to the new one is done.
        var from = Steps.ToList().IndexOf(finished);
        var to = next is null ? Steps.Count : Steps.ToList().IndexOf(next);
        for (var i = Math.Max(0, from); i < Math.Max(from + 1, to); i++)
        {
            AnsiConsole.MarkupLine($"   [green]✔[/] {Steps[Math.Min(i, Steps.Count - 1)]}" + (i == from ? $" [grey]({Ui.Seconds(watch.Elapsed)})[/]" : ""));
        }
    }
}
