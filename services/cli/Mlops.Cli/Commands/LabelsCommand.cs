using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Mlops.Cli.Core.Csv;
using Mlops.Cli.Core.Gateway;
using Mlops.Cli.Core.Ward;
using Mlops.Cli.Rendering;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary><c>mlops labels outcomes.csv</c>: records outcomes through the features service's labels API.</summary>
public static class LabelsCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("csv") { Description = "Outcomes CSV: entityId,value,eventTime[,name][,labelId]" };
        var name = new Option<string>("--name") { Description = "Label name for rows without one", DefaultValueFactory = _ => WardOptions.DefaultLabelName };
        var command = new Command("labels", "Record outcomes (labels) from a CSV file") { file, name };
        command.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            using var reader = path.OpenText();
            var rows = OutcomeCsv.Read(reader, parse.GetValue(name)!);
            var watch = Stopwatch.StartNew();
            var refused = await SendAsync(context.Client, rows.Select(r => ($"line {r.Line}", r.Body)).ToList(), ct);
            Ui.Done(watch, $"{rows.Count} outcomes from {path.Name}");
            return refused == 0 ? 0 : 3;
        }));
        return command;
    }

    /// <summary>Sends with a progress bar and prints the outcome; returns the number refused (shared with the demo).</summary>
    public static async Task<int> SendAsync(GatewayClient client, IReadOnlyList<(string Where, JsonObject Body)> items, CancellationToken ct)
    {
        var (recorded, duplicates, refused) = await Ui.ProgressAsync($"outcomes → {client.BaseAddress}", items.Count,
            progress => Uploads.OutcomesAsync(client, items, progress, ct));
        var table = new Table().AddColumns("recorded", "duplicates", "refused");
        table.AddRow(recorded.ToString(), duplicates.ToString(), refused.Count == 0 ? "0" : $"[red]{refused.Count}[/]");
        AnsiConsole.Write(table);
        foreach (var r in refused.Take(10))
        {
            AnsiConsole.MarkupLine($"   [red]refused[/] {Markup.Escape(r.Where)}: {Markup.Escape(r.Reason)}");
        }

        return refused.Count;
    }
}
