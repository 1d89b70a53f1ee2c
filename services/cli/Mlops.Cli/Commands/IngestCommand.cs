using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Mlops.Cli.Core.Csv;
using Mlops.Cli.Core.Gateway;
using Mlops.Cli.Rendering;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary><c>mlops ingest observations.csv</c>: loads observations in batches through the gateway.</summary>
public static class IngestCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("csv") { Description = "Observations CSV: entityId,code,value,unit,eventTime[,availableTime][,observationId][,sourceSystem]" };
        var batchSize = new Option<int>("--batch-size") { Description = "Observations per request", DefaultValueFactory = _ => Uploads.DefaultBatchSize };
        var source = new Option<string>("--source-system") { Description = "sourceSystem for rows without one", DefaultValueFactory = _ => "mlops-cli" };
        var command = new Command("ingest", "Load observations from a CSV file (prints accepted, duplicates and refusals with reasons)") { file, batchSize, source };
        command.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            using var reader = path.OpenText();
            var rows = ObservationCsv.Read(reader, parse.GetValue(source)!);
            var watch = Stopwatch.StartNew();
            var outcome = await SendAsync(context.Client, rows.Select(r => ($"line {r.Line}", r.Body)).ToList(), parse.GetValue(batchSize), ct);
            Ui.Done(watch, $"{rows.Count} observations from {path.Name}");
            return outcome.Refused.Count == 0 ? 0 : 3;
        }));
        return command;
    }

    /// <summary>Sends with a progress bar and prints the outcome (shared with the demo).</summary>
    public static async Task<BatchOutcome> SendAsync(GatewayClient client, IReadOnlyList<(string Where, JsonObject Body)> items, int batchSize, CancellationToken ct)
    {
        if (batchSize < 1)
        {
            throw new FormatException("--batch-size must be at least 1");
        }

        var outcome = await Ui.ProgressAsync($"observations → {client.BaseAddress}", items.Count,
            progress => Uploads.ObservationsAsync(client, items, batchSize, progress, ct));
        Print(outcome);
        return outcome;
    }

    static void Print(BatchOutcome outcome)
    {
        var table = new Table().AddColumns("accepted", "duplicates", "refused");
        table.AddRow(outcome.Accepted.ToString(), outcome.Duplicates.ToString(), outcome.Refused.Count == 0 ? "0" : $"[red]{outcome.Refused.Count}[/]");
        AnsiConsole.Write(table);
        foreach (var group in outcome.Refused.GroupBy(r => r.Reason).OrderByDescending(g => g.Count()).Take(10))
        {
            var first = group.First();
            AnsiConsole.MarkupLine($"   [red]{group.Count()} refused[/]: {Markup.Escape(group.Key)} [grey](e.g. {Markup.Escape(first.Where)}{(first.Id is null ? "" : ", " + Markup.Escape(first.Id))})[/]");
        }
    }
}
