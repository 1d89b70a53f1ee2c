using System.CommandLine;
using System.Text.Json.Nodes;
using Mlops.Cli.Rendering;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary>
/// <c>mlops deadletters list|show|replay</c>: the platform's dead letters through the gateway (ingestion maps the
/// replay API). A replay re-publishes the original record unchanged; consumers that already applied it skip it.
/// </summary>
public static class DeadLettersCommand
{
    const string Api = "api/ingestion/deadletters";

    public static Command Create()
    {
        var command = new Command("deadletters", "List, inspect and replay records consumers gave up on");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Replay());
        return command;
    }

    static Command List()
    {
        var topic = new Option<string?>("--topic") { Description = "Only records from this source topic" };
        var group = new Option<string?>("--group") { Description = "Only records this consumer group gave up on" };
        var kind = new Option<string?>("--kind") { Description = "Only this failure kind: invalid-envelope, rejected, handler-failed" };
        var limit = new Option<int>("--limit") { Description = "How many, newest first", DefaultValueFactory = _ => 50 };
        var list = new Command("list", "Dead letters, newest first") { topic, group, kind, limit };
        list.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var query = $"?limit={parse.GetValue(limit)}" + Param("topic", parse.GetValue(topic)) + Param("group", parse.GetValue(group)) + Param("kind", parse.GetValue(kind));
            var entries = (await context.Client.SendAsync(HttpMethod.Get, Api + query, null, null, ct))?.AsArray() ?? [];
            if (entries.Count == 0)
            {
                AnsiConsole.MarkupLine("no dead letters");
                return 0;
            }

            var table = new Table().AddColumns("id", "when (UTC)", "topic", "group", "kind", "event id", "replays", "reason");
            foreach (var entry in entries)
            {
                var record = entry?["record"];
                table.AddRow(Markup.Escape(Text(entry?["id"])), Ui.When(entry?["deadLetteredAt"]), Markup.Escape(Text(record?["originalTopic"])),
                    Markup.Escape(Text(record?["consumerGroup"])), Markup.Escape(Text(record?["failureKind"])), Markup.Escape(Text(record?["originalEventId"])),
                    (entry?["replays"]?.AsArray().Count ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(Shorten(Text(record?["reason"]), 80)));
            }

            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"[grey]{entries.Count} shown; details: mlops deadletters show <id>; replay: mlops deadletters replay <id> --reason \"…\"[/]");
            return 0;
        }));
        return list;
    }

    static Command Show()
    {
        var id = new Argument<string>("id") { Description = "Dead-letter id (partition-offset, from the list)" };
        var show = new Command("show", "One dead letter: the reason, the original record and its replays") { id };
        show.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var entry = await context.Client.SendAsync(HttpMethod.Get, $"{Api}/{Uri.EscapeDataString(parse.GetValue(id)!)}", null, null, ct);
            var record = entry?["record"];
            AnsiConsole.MarkupLine($"dead letter [bold]{Markup.Escape(Text(entry?["id"]))}[/] at {Ui.When(entry?["deadLetteredAt"])} UTC");
            AnsiConsole.MarkupLine($"from {Markup.Escape(Text(record?["originalTopic"]))}[[{Text(record?["originalPartition"])}]]@{Text(record?["originalOffset"])}, key {Markup.Escape(Text(record?["originalKey"]))}, event {Markup.Escape(Text(record?["originalEventId"]))}");
            AnsiConsole.MarkupLine($"group {Markup.Escape(Text(record?["consumerGroup"]))} gave up after {Text(record?["attempts"])} attempt(s): [red]{Markup.Escape(Text(record?["failureKind"]))}[/]");
            AnsiConsole.MarkupLine($"reason: {Markup.Escape(Text(record?["reason"]))}");
            AnsiConsole.MarkupLine($"exception: {Markup.Escape(Text(record?["exceptionType"]))}");
            AnsiConsole.MarkupLine("original value:");
            AnsiConsole.WriteLine(Text(record?["originalValue"]));
            foreach (var replay in entry?["replays"]?.AsArray() ?? [])
            {
                AnsiConsole.MarkupLine($"replayed {Ui.When(replay?["requestedAt"])} UTC by [bold]{Markup.Escape(Text(replay?["replayedBy"]))}[/] → {Markup.Escape(Text(replay?["targetTopic"]))}[[{Text(replay?["publishedPartition"])}]]@{Text(replay?["publishedOffset"])}: {Markup.Escape(Text(replay?["reason"]))}");
            }

            return 0;
        }));
        return show;
    }

    static Command Replay()
    {
        var ids = new Argument<string[]>("ids") { Description = "Dead-letter ids to re-publish to their source topics", Arity = ArgumentArity.OneOrMore };
        var by = new Option<string>("--by") { Description = "Who replays (recorded)", DefaultValueFactory = _ => Environment.UserName };
        var reason = new Option<string>("--reason") { Description = "Why, e.g. the fix the records now meet (recorded)", Required = true };
        var replay = new Command("replay", "Re-publish dead letters unchanged to their source topics (consumers skip what they already applied)") { ids, by, reason };
        replay.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            foreach (var id in parse.GetValue(ids)!)
            {
                var body = new JsonObject { ["by"] = parse.GetValue(by), ["reason"] = parse.GetValue(reason) };
                var done = await context.Client.SendAsync(HttpMethod.Post, $"{Api}/{Uri.EscapeDataString(id)}/replay", body, null, ct);
                AnsiConsole.MarkupLine($"   [green]✔[/] {Markup.Escape(id)} → {Markup.Escape(Text(done?["targetTopic"]))}[[{Text(done?["publishedPartition"])}]]@{Text(done?["publishedOffset"])} (event {Markup.Escape(Text(done?["originalEventId"]))}, replay {Text(done?["replayId"])})");
            }

            return 0;
        }));
        return replay;
    }

    static string Param(string name, string? value) => value is null ? "" : $"&{name}={Uri.EscapeDataString(value)}";

    static string Shorten(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";

    static string Text(JsonNode? n) => RunsCommand.Text(n);
}
