using System.CommandLine;
using System.Text.Json.Nodes;
using Mlops.Cli.Core.Apply;
using Mlops.Cli.Rendering;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary>
/// <c>mlops apply own-data.json</c>: registers observation schemas (ingestion) and then feature definition sets
/// (features) from one file, without a restart — what <c>feast apply</c> gives Feast users.
/// </summary>
public static class ApplyCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "JSON: { \"schemas\": [ { \"code\": …, <schema entry> } ], \"featureSets\": [ { \"name\": …, <Features section> } ] }" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Check the file's shape locally and show what would be sent; send nothing" };
        var by = new Option<string>("--by") { Description = "registeredBy recorded with every version", DefaultValueFactory = _ => Environment.UserName is { Length: > 0 } u ? u : "mlops-cli" };
        var command = new Command("apply", "Register observation codes and feature sets from a file (no restart); exit 1 when anything is refused") { file, dryRun, by };
        command.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            var parsed = ApplyFile.Parse(await File.ReadAllTextAsync(path.FullName, ct));
            if (parsed.Problems.Count > 0)
            {
                var problems = new Table().AddColumns("field", "problem");
                foreach (var (field, message) in parsed.Problems)
                {
                    problems.AddRow(Markup.Escape(field), $"[red]{Markup.Escape(message)}[/]");
                }

                AnsiConsole.Write(problems);
                Ui.Error($"{path.Name}: {parsed.Problems.Count} problem(s); nothing was sent");
                return 1;
            }

            if (parse.GetValue(dryRun))
            {
                var plan = new Table().AddColumns("kind", "name", "would send");
                foreach (var (code, body) in parsed.Schemas)
                {
                    plan.AddRow("schema", Markup.Escape(code), Markup.Escape($"PUT /api/ingestion/schemas/{code} ({body.Count} members)"));
                }

                foreach (var (name, body) in parsed.FeatureSets)
                {
                    plan.AddRow("feature set", Markup.Escape(name), Markup.Escape($"PUT /api/features/definition-sets/{name} ({Aggregations(body)} aggregations)"));
                }

                AnsiConsole.Write(plan);
                AnsiConsole.MarkupLine($"[green]✔[/] {Markup.Escape(path.Name)} is well formed (dry run: the services' rules are checked when applied)");
                return 0;
            }

            var results = await Applier.ApplyAsync(context.Client, parsed, parse.GetValue(by)!, null, ct);
            var table = new Table().AddColumns("kind", "name", "outcome", "version / problems");
            foreach (var item in results)
            {
                var (outcome, detail) = item.Status switch
                {
                    ApplyStatus.Created => ("[green]created[/]", Markup.Escape(Version(item))),
                    ApplyStatus.Unchanged => ("[grey]unchanged[/]", Markup.Escape(Version(item))),
                    _ => ("[red]refused[/]", string.Join("\n", item.Problems.Select(p => $"[red]{Markup.Escape(p)}[/]"))),
                };
                table.AddRow(item.Kind, Markup.Escape(item.Name), outcome, detail);
            }

            AnsiConsole.Write(table);
            var refused = results.Count(r => r.Status == ApplyStatus.Refused);
            if (refused > 0)
            {
                Ui.Error($"{refused} of {results.Count} refused");
                return 1;
            }

            return 0;
        }));
        return command;
    }

    // The services read members case-insensitively, as configuration binding does.
    static int Aggregations(JsonObject body) =>
        body.FirstOrDefault(m => string.Equals(m.Key, "aggregations", StringComparison.OrdinalIgnoreCase)).Value is JsonArray a ? a.Count : 0;

    static string Version(AppliedItem item) => item.Version is null ? "–" : item.Kind == "schema" ? "v" + item.Version : item.Version;
}
