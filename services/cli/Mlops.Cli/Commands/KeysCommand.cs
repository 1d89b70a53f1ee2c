using System.CommandLine;
using System.Text.Json.Nodes;
using Mlops.Cli.Rendering;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary>
/// <c>mlops keys create|list|revoke</c>: the gateway's API keys (an admin key is needed; docs/security.md). A new key is
/// printed once — the gateway keeps only its hash.
/// </summary>
public static class KeysCommand
{
    const string Api = "api/gateway/keys";

    public static Command Create()
    {
        var command = new Command("keys", "Create, list and revoke API keys (needs an admin key)");
        command.Subcommands.Add(New());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Revoke());
        return command;
    }

    static Command New()
    {
        var name = new Argument<string>("name") { Description = "Who or what will use the key" };
        var roles = new Option<string[]>("--role")
        {
            Description = "Role(s): ingest, predict, train, operate, admin (repeat for several)",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var create = new Command("create", "A new key with the given roles; the key is shown this once") { name, roles };
        create.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var body = new JsonObject
            {
                ["name"] = parse.GetValue(name),
                ["roles"] = new JsonArray(parse.GetValue(roles)!.Select(r => (JsonNode)JsonValue.Create(r)!).ToArray()),
            };
            var created = await context.Client.SendAsync(HttpMethod.Post, Api, body, null, ct);
            AnsiConsole.MarkupLine($"key [bold]{Markup.Escape(Text(created?["id"]))}[/] ({Markup.Escape(Roles(created))}) for {Markup.Escape(Text(created?["name"]))}:");
            // Plain output, so it can be copied or captured; it cannot be shown again.
            Console.WriteLine(Text(created?["key"]));
            AnsiConsole.MarkupLine("[grey]store it now: the gateway keeps only its hash[/]");
            return 0;
        }));
        return create;
    }

    static Command List()
    {
        var list = new Command("list", "Every key: id, name, roles, created, revoked (never a secret)");
        list.SetAction(CliContext.Action(async (context, _, ct) =>
        {
            var keys = (await context.Client.SendAsync(HttpMethod.Get, Api, null, null, ct))?.AsArray() ?? [];
            var table = new Table().AddColumns("id", "name", "roles", "created (UTC)", "created by", "revoked (UTC)");
            foreach (var key in keys)
            {
                table.AddRow(Markup.Escape(Text(key?["id"])), Markup.Escape(Text(key?["name"])), Markup.Escape(Roles(key)),
                    Ui.When(key?["createdAt"]), Markup.Escape(Text(key?["createdBy"])), key?["revokedAt"] is null ? "" : Ui.When(key["revokedAt"]));
            }

            AnsiConsole.Write(table);
            return 0;
        }));
        return list;
    }

    static Command Revoke()
    {
        var id = new Argument<string>("id") { Description = "The key's id (mlk_<id>_…; from mlops keys list)" };
        var revoke = new Command("revoke", "Revoke a key: refused at once by the gateway that handles this, by every replica within seconds") { id };
        revoke.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var key = await context.Client.SendAsync(HttpMethod.Delete, $"{Api}/{Uri.EscapeDataString(parse.GetValue(id)!)}", null, null, ct);
            AnsiConsole.MarkupLine($"key [bold]{Markup.Escape(Text(key?["id"]))}[/] ({Markup.Escape(Text(key?["name"]))}) revoked at {Ui.When(key?["revokedAt"])} UTC");
            return 0;
        }));
        return revoke;
    }

    static string Roles(JsonNode? key) => string.Join(", ", key?["roles"]?.AsArray().Select(r => r?.GetValue<string>()) ?? []);

    static string Text(JsonNode? node) => node?.ToString() ?? "";
}
