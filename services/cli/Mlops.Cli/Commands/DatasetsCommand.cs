using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Mlops.Cli.Core.Gateway;
using Mlops.Cli.Rendering;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary>
/// <c>mlops datasets list|show|create</c>: ingestion's dataset versions — immutable snapshots of the raw store, scoped
/// by codes, source systems and an event-time range — and the model versions each one trained.
/// </summary>
public static class DatasetsCommand
{
    public static Command Create()
    {
        var command = new Command("datasets", "List, inspect and create dataset versions (snapshots of the raw store)");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(CreateVersion());
        return command;
    }

    static Command List()
    {
        var limit = new Option<int>("--limit") { Description = "How many, newest first", DefaultValueFactory = _ => 20 };
        var list = new Command("list", "Dataset versions, newest first") { limit };
        list.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var versions = ((await context.Client.ListDatasetVersionsAsync(ct))?.AsArray() ?? [])
                .OrderByDescending(v => v?["createdAt"]?.GetValue<DateTimeOffset>())
                .Take(Math.Max(1, parse.GetValue(limit)))
                .ToList();
            if (versions.Count == 0)
            {
                AnsiConsole.MarkupLine("no dataset versions; make one with mlops datasets create");
                return 0;
            }

            // A version is 71 characters: a table would wrap it in any terminal, so each version gets its own line,
            // whole, to copy into `mlops datasets show` or `mlops train --dataset-version`.
            foreach (var v in versions)
            {
                AnsiConsole.MarkupLine($"[bold]{Markup.Escape(Text(v?["version"]))}[/]");
                AnsiConsole.MarkupLine($"  {Count(v?["rowCount"])} rows · {Markup.Escape(Scope(v))} · {Ui.When(v?["createdAt"])} UTC by {Markup.Escape(Text(v?["createdBy"]))}: {Markup.Escape(Text(v?["description"]))}");
            }

            return 0;
        }));
        return list;
    }

    static Command Show()
    {
        var version = new Argument<string>("version") { Description = "A dataset version (from the list)" };
        var json = new Option<bool>("--json") { Description = "Print the version and its models as JSON instead of tables" };
        var show = new Command("show", "One dataset version: its scope, and every model version trained from it") { version, json };
        show.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var name = parse.GetValue(version)!;
            var v = await context.Client.GetDatasetVersionAsync(name, ct);
            var trained = (await context.Client.ListModelsTrainedFromAsync(name, ct))?["models"]?.AsArray() ?? [];
            if (parse.GetValue(json))
            {
                var both = new JsonObject { ["datasetVersion"] = v?.DeepClone(), ["models"] = trained.DeepClone() };
                Console.WriteLine(both.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
                return 0;
            }

            Print(v);
            if (trained.Count == 0)
            {
                AnsiConsole.MarkupLine("no model version was trained from it");
                return 0;
            }

            var table = new Table().AddColumns("model", "version", "stage", "aliases", "training run", "registered (UTC)");
            foreach (var m in trained)
            {
                var aliases = string.Join(", ", m?["aliases"]?.AsArray().Select(a => Text(a)) ?? []);
                table.AddRow(Markup.Escape(Text(m?["modelName"])), Markup.Escape(Text(m?["version"])), Markup.Escape(Text(m?["stage"])),
                    Markup.Escape(aliases.Length == 0 ? "–" : aliases), Markup.Escape(Text(m?["trainingRunId"])), Ui.When(m?["registeredAt"]));
            }

            AnsiConsole.Write(table);
            return 0;
        }));
        return show;
    }

    static Command CreateVersion()
    {
        var sources = new Option<string[]>("--sources") { Description = "Only observations from these source systems", AllowMultipleArgumentsPerToken = true };
        var since = new Option<DateTimeOffset?>("--since") { Description = "Only observations with event time at or after this (ISO 8601)" };
        var until = new Option<DateTimeOffset?>("--until") { Description = "Only observations with event time before this (ISO 8601)" };
        var codes = new Option<string[]>("--codes") { Description = "Only observations with these codes", AllowMultipleArgumentsPerToken = true };
        var description = new Option<string>("--description") { Description = "What the snapshot is for", DefaultValueFactory = _ => "snapshot from the command line" };
        var by = new Option<string>("--by") { Description = "Who asks", DefaultValueFactory = _ => Environment.UserName };
        var create = new Command("create", "Snapshot the raw store (or a scope of it) as a new dataset version") { sources, since, until, codes, description, by };
        create.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var scope = new DatasetScope(
                parse.GetValue(sources) is { Length: > 0 } s ? s : null, parse.GetValue(since), parse.GetValue(until), parse.GetValue(codes) is { Length: > 0 } c ? c : null);
            var v = await context.Client.CreateDatasetVersionAsync(parse.GetValue(by)!, parse.GetValue(description)!, scope, ct);
            Print(v);
            AnsiConsole.MarkupLine($"[grey]train on it: mlops train --dataset-version {Markup.Escape(Text(v?["version"]))}[/]");
            return 0;
        }));
        return create;
    }

    static void Print(JsonNode? v)
    {
        AnsiConsole.MarkupLine($"dataset version [bold]{Markup.Escape(Text(v?["version"]))}[/]: {Count(v?["rowCount"])} rows, {Markup.Escape(Scope(v))}");
        AnsiConsole.MarkupLine($"created {Ui.When(v?["createdAt"])} UTC by {Markup.Escape(Text(v?["createdBy"]))}: {Markup.Escape(Text(v?["description"]))}");
    }

    // The scope as one line: every restriction the version applies, or "everything".
    internal static string Scope(JsonNode? v)
    {
        var parts = new List<string>();
        if (v?["sources"] is JsonArray { Count: > 0 } sources)
        {
            parts.Add("sources " + string.Join(", ", sources.Select(Text)));
        }

        if (v?["codes"] is JsonArray { Count: > 0 } codes)
        {
            parts.Add("codes " + string.Join(", ", codes.Select(Text)));
        }

        var since = v?["since"];
        var until = v?["until"];
        if (since is not null || until is not null)
        {
            parts.Add($"event time [{(since is null ? "…" : Text(since))}, {(until is null ? "…" : Text(until))})");
        }

        return parts.Count == 0 ? "everything" : string.Join("; ", parts);
    }

    static string Count(JsonNode? n) => n is null ? "–" : n.GetValue<long>().ToString("N0", CultureInfo.InvariantCulture);

    static string Text(JsonNode? n) => RunsCommand.Text(n);
}
