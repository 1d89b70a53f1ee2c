using System.CommandLine;
using Mlops.Cli.Core.Gateway;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary>
/// <c>mlops promote &lt;model&gt; &lt;version&gt; --to champion</c>: asks the registry; when the model's promotion policy
/// wants a human decision, <c>--approve --by NAME --reason TEXT</c> gives it in the same command.
/// </summary>
public static class PromoteCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Model name" };
        var version = new Argument<string>("version") { Description = "Version to promote, or 'latest' for the newest registered" };
        var to = new Option<string>("--to") { Description = "Alias (champion, challenger, …)", DefaultValueFactory = _ => "champion" };
        var approve = new Option<bool>("--approve") { Description = "Approve at once if the policy asks for a human approval" };
        var by = new Option<string>("--by") { Description = "Who asks (and approves)", DefaultValueFactory = _ => Environment.UserName };
        var reason = new Option<string>("--reason") { Description = "Why", DefaultValueFactory = _ => "promoted with the mlops command" };
        var command = new Command("promote", "Promote a model version to an alias (handles approval)") { model, version, to, approve, by, reason };
        command.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var status = await PromoteAsync(context.Client, parse.GetValue(model)!, parse.GetValue(version)!, parse.GetValue(to)!,
                parse.GetValue(by)!, parse.GetValue(reason)!, parse.GetValue(approve), ct);
            return status == "Promoted" ? 0 : 4;
        }));
        return command;
    }

    /// <summary>Requests (and, when allowed, approves) a promotion; returns the final status (shared with the demo).</summary>
    public static async Task<string> PromoteAsync(GatewayClient client, string model, string version, string alias, string by, string reason, bool approve, CancellationToken ct)
    {
        if (version == "latest")
        {
            version = await LatestVersionAsync(client, model, ct);
        }

        var outcome = await client.RequestPromotionAsync(model, version, alias, by, reason, ct);
        var status = outcome?["status"]?.GetValue<string>() ?? "?";
        if (status == "PendingApproval")
        {
            var promotionId = Guid.Parse(outcome!["promotionId"]!.GetValue<string>());
            AnsiConsole.MarkupLine($"   the policy asks for a human approval: {Markup.Escape(outcome["approvalReason"]?.GetValue<string>() ?? "(no reason given)")}");
            if (!approve)
            {
                AnsiConsole.MarkupLine($"   promotion {promotionId} awaits approval: mlops promote {model} {version} --to {alias} --approve --by <name> --reason <why>");
                AnsiConsole.MarkupLine($"   (or POST {client.BaseAddress}api/registry/models/{model}/promotions/{promotionId}/approve)");
                return status;
            }

            await client.ApprovePromotionAsync(model, promotionId, by, reason, ct);
            status = "Promoted";
            AnsiConsole.MarkupLine($"   approved by {Markup.Escape(by)}");
        }

        AnsiConsole.MarkupLine($"   [bold]{Markup.Escape(model)}[/] {Markup.Escape(version)} → [bold green]{Markup.Escape(alias)}[/] ({status})");
        return status;
    }

    /// <summary>The most recently registered version of a model.</summary>
    public static async Task<string> LatestVersionAsync(GatewayClient client, string model, CancellationToken ct)
    {
        var state = await client.GetModelAsync(model, ct);
        return state?["versions"]?.AsObject()
            .OrderBy(v => v.Value?["registeredAt"]?.GetValue<DateTimeOffset>())
            .Select(v => v.Key).LastOrDefault()
            ?? throw new InvalidOperationException($"model {model} has no version");
    }
}
