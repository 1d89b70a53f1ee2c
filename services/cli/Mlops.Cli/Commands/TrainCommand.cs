using System.CommandLine;
using System.Globalization;
using Mlops.Cli.Core.Gateway;
using Mlops.Cli.Core.Ward;
using Mlops.Cli.Rendering;
using Mlops.Cli.Training;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary><c>mlops train</c>: starts a training run; <c>--wait</c> follows it to the end.</summary>
public static class TrainCommand
{
    public const string DefaultModel = "deterioration";

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model name", DefaultValueFactory = _ => DefaultModel };
        var algorithm = new Option<string>("--algorithm") { Description = "gbdt | logistic_regression | bagged_gbdt", DefaultValueFactory = _ => "bagged_gbdt" };
        var members = new Option<int>("--ensemble-size") { Description = "Members of a bagged ensemble (its spread is the uncertainty)", DefaultValueFactory = _ => 5 };
        var features = new Option<string[]>("--features") { Description = "Feature names or patterns (e.g. heart_rate_* news2); all when omitted", AllowMultipleArgumentsPerToken = true };
        var label = new Option<string>("--label") { Description = "Label (outcome) name", DefaultValueFactory = _ => WardOptions.DefaultLabelName };
        var dataset = new Option<string?>("--dataset-version") { Description = "Ingestion dataset version; a new snapshot when omitted" };
        var sources = new Option<string[]>("--sources") { Description = "A new snapshot takes only observations from these source systems", AllowMultipleArgumentsPerToken = true };
        var since = new Option<DateTimeOffset?>("--since") { Description = "A new snapshot takes only observations with event time at or after this (ISO 8601)" };
        var until = new Option<DateTimeOffset?>("--until") { Description = "A new snapshot takes only observations with event time before this (ISO 8601)" };
        var featureSet = new Option<string?>("--feature-set-version") { Description = "Feature-set version; the feature service's current one when omitted" };
        var seed = new Option<int>("--seed") { Description = "Training seed", DefaultValueFactory = _ => 42 };
        var parameters = new Option<string[]>("--param") { Description = "Hyperparameter name=value (repeatable)", AllowMultipleArgumentsPerToken = true };
        var labelsFrom = new Option<DateTimeOffset?>("--labels-from") { Description = "Learn only from labels at or after this time (ISO 8601), e.g. a recent window" };
        var compareWith = new Option<string?>("--compare-with") { Description = "A registered version (e.g. the champion's) scored on the run's held-out rows beside the new model" };
        var by = new Option<string>("--by") { Description = "Who asks", DefaultValueFactory = _ => Environment.UserName };
        var wait = new Option<bool>("--wait") { Description = "Follow the run's steps until it completes or fails" };
        var timeout = new Option<int>("--timeout-minutes") { Description = "How long --wait waits", DefaultValueFactory = _ => 30 };
        var command = new Command("train", "Start a training run") { model, algorithm, members, features, label, dataset, sources, since, until, featureSet, seed, parameters, labelsFrom, compareWith, by, wait, timeout };
        command.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var scope = new DatasetScope(parse.GetValue(sources) is { Length: > 0 } named ? named : null, parse.GetValue(since), parse.GetValue(until));
            if (parse.GetValue(dataset) is not null && scope != DatasetScope.All)
            {
                throw new ArgumentException("--sources, --since and --until scope a new snapshot; they cannot apply to an existing --dataset-version");
            }

            var hyper = new Dictionary<string, double>();
            foreach (var p in parse.GetValue(parameters) ?? [])
            {
                var parts = p.Split('=', 2);
                if (parts.Length != 2 || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                {
                    throw new FormatException($"--param '{p}' is not name=number");
                }

                hyper[parts[0]] = v;
            }

            var body = await TrainingRequest.BuildAsync(context.Client, parse.GetValue(model)!, parse.GetValue(algorithm)!, parse.GetValue(members),
                parse.GetValue(features) ?? [], parse.GetValue(label)!, parse.GetValue(dataset), parse.GetValue(featureSet), parse.GetValue(seed), parse.GetValue(by)!, hyper, ct, scope);
            if (parse.GetValue(labelsFrom) is { } from)
            {
                body["labelsFrom"] = from.ToString("O", CultureInfo.InvariantCulture);
            }

            if (parse.GetValue(compareWith) is { Length: > 0 } version)
            {
                body["compareWithVersion"] = version;
            }

            var runId = await context.Client.StartRunAsync(body, ct);
            AnsiConsole.MarkupLine($"run [bold]{runId}[/] started (dataset {Markup.Escape(body["datasetVersion"]!.ToString())}, features {Markup.Escape(body["featureSetVersion"]!.ToString())})");
            if (!parse.GetValue(wait))
            {
                AnsiConsole.MarkupLine($"follow it with: mlops runs {runId}");
                return 0;
            }

            var view = await RunFollower.FollowAsync(context.Client, runId, TimeSpan.FromMinutes(parse.GetValue(timeout)), ct);
            RunFollower.PrintOutcome(view);
            return view["run"]?["status"]?.GetValue<string>() == "Completed" ? 0 : 1;
        }));
        return command;
    }
}
