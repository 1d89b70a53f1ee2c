using System.CommandLine;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary><c>mlops schemas</c>: the observation codes ingestion accepts, configured and registered.</summary>
public static class SchemasCommand
{
    public static Command Create()
    {
        var command = new Command("schemas", "List the observation codes ingestion accepts (configured and registered)");
        command.SetAction(CliContext.Action(async (context, _, ct) =>
        {
            var entries = (await context.Client.SendAsync(HttpMethod.Get, "api/ingestion/schemas", null, null, ct))?.AsArray() ?? [];
            var table = new Table().AddColumns("code", "source", "version", "unit", "range", "registered (UTC)");
            foreach (var entry in entries)
            {
                var schema = entry?["schema"];
                var unit = schema?["unit"]?.ToString() ?? (schema?["categories"] is System.Text.Json.Nodes.JsonArray c ? string.Join("|", c) : "");
                var range = schema?["min"] is null && schema?["max"] is null ? "" : $"{schema?["min"]?.ToString() ?? "…"} – {schema?["max"]?.ToString() ?? "…"}";
                table.AddRow(Markup.Escape(RunsCommand.Text(entry?["code"])), Markup.Escape(RunsCommand.Text(entry?["source"])),
                    Markup.Escape(entry?["version"]?.ToString() ?? "–"), Markup.Escape(unit), Markup.Escape(range), Rendering.Ui.When(entry?["registeredAt"]));
            }

            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }
}
