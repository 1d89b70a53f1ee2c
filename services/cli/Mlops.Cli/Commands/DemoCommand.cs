using System.CommandLine;
using System.Diagnostics;
using Mlops.Cli.Core.Csv;
using Mlops.Cli.Core.Gateway;
using Mlops.Cli.Core.Streaming;
using Mlops.Cli.Core.Ward;
using Mlops.Cli.Rendering;
using Mlops.Cli.Training;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary>
/// <c>mlops demo</c>: the whole journey on a synthetic ward — history with available times, outcomes, a bagged
/// ensemble trained and registered, promoted to champion, then live observations and the predictions (with
/// uncertainty) they cause on <c>predictions.v1</c>. Every step prints its duration.
/// </summary>
public static class DemoCommand
{
    public static Command Create()
    {
        var (patients, seed, hours) = GenerateCommand.WardOptionsFrom();
        var model = new Option<string>("--model") { Description = "Model name", DefaultValueFactory = _ => TrainCommand.DefaultModel };
        var members = new Option<int>("--ensemble-size") { Description = "Members of the bagged ensemble", DefaultValueFactory = _ => 5 };
        var live = new Option<int>("--live-patients") { Description = "Patients to stream live observations for", DefaultValueFactory = _ => 4 };
        var prefix = new Option<string?>("--prefix") { Description = "Entity id prefix (default: demo-<MMddHHmm>-, so runs do not mix)" };
        var by = new Option<string>("--by") { Description = "Who trains and approves", DefaultValueFactory = _ => "mlops-demo" };
        var command = new Command("demo", "Run the guided demo against the running platform") { patients, seed, hours, model, members, live, prefix, by };
        command.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var client = context.Client;
            var name = parse.GetValue(model)!;
            var who = parse.GetValue(by)!;
            var total = Stopwatch.StartNew();
            var step = 0;
            var watch = Stopwatch.StartNew();

            Ui.Step(++step, "Gateway");
            if (!await client.IsReadyAsync(ct))
            {
                Ui.Error($"the gateway at {client.BaseAddress} is not ready; start the platform with ./platform.sh up");
                return 2;
            }

            Ui.Done(watch, $"{client.BaseAddress} is ready");

            Ui.Step(++step, "Synthetic ward");
            watch.Restart();
            var entityPrefix = parse.GetValue(prefix) ?? $"demo-{DateTime.UtcNow:MMddHHmm}-";
            var ward = WardGenerator.Generate(new WardOptions
            {
                Patients = parse.GetValue(patients),
                Seed = parse.GetValue(seed),
                HistoryHours = parse.GetValue(hours),
                EntityPrefix = entityPrefix,
                // A source of this run's own: the snapshot below takes only this ward, not an earlier demo's overlapping days.
                SourceSystem = $"{new WardOptions().SourceSystem}-{entityPrefix.TrimEnd('-')}",
            });
            var labs = ward.Observations.Count(o => o.AvailableTime is not null);
            Ui.Done(watch, $"{ward.Patients.Count} patients, {ward.Observations.Count} observations ({labs} lab results with availableTime), " +
                $"{ward.Outcomes.Count(o => o.Value == 1)} of {ward.Outcomes.Count} deteriorated");

            Ui.Step(++step, "Ingest the history (last days, labs with availableTime)");
            watch.Restart();
            var sent = await IngestCommand.SendAsync(client, ward.Observations.Select((o, i) => ($"#{i}", ObservationCsv.ToJson(o))).ToList(), Uploads.DefaultBatchSize, ct);
            Ui.Done(watch, $"{sent.Accepted} accepted, {sent.Duplicates} duplicates, {sent.Refused.Count} refused");

            Ui.Step(++step, "Record the outcomes");
            watch.Restart();
            await LabelsCommand.SendAsync(client, ward.Outcomes.Select(o => (o.EntityId, OutcomeCsv.ToJson(o))).ToList(), ct);
            Ui.Done(watch, $"{ward.Outcomes.Count} outcomes named {ward.Options.LabelName}");

            Ui.Step(++step, "Wait for the features to be computed");
            watch.Restart();
            var caught = await JourneyWaits.FeaturesCaughtUpAsync(client, ward, 20, TimeSpan.FromMinutes(10), ct);
            if (caught == 20)
            {
                Ui.Done(watch, "20 of 20 sampled patients have online features up to their last vitals");
            }
            else
            {
                // Training reads what has been computed so far: it still works, on less history than was sent.
                Ui.Warn($"only {caught} of 20 sampled patients have online features up to their last vitals after {Ui.Seconds(watch.Elapsed)}: " +
                    "the features service is still computing the history (a busy machine?); training goes on with what is computed");
            }

            Ui.Step(++step, $"Train a bagged ensemble of {parse.GetValue(members)} ({name})");
            watch.Restart();
            // The snapshot holds this ward's history (its source, from its first observation on), however much earlier
            // runs left in the raw store.
            var scope = new DatasetScope([ward.Options.SourceSystem], ward.Observations.Min(o => o.EventTime));
            var request = await TrainingRequest.BuildAsync(client, name, "bagged_gbdt", parse.GetValue(members), [], ward.Options.LabelName, null, null, parse.GetValue(seed), who,
                new Dictionary<string, double>(), ct, scope);
            var runId = await client.StartRunAsync(request, ct);
            Ui.Info($"run {runId} (dataset {request["datasetVersion"]}, features {request["featureSetVersion"]})");
            var view = await RunFollower.FollowAsync(client, runId, TimeSpan.FromMinutes(30), ct);
            RunFollower.PrintOutcome(view);
            if (view["run"]?["status"]?.GetValue<string>() != "Completed")
            {
                Ui.Error($"training run {runId} did not complete; see mlops runs {runId}");
                return 1;
            }

            Ui.Done(watch, "trained, evaluated, exported to ONNX and verified");

            Ui.Step(++step, "Registered in the model registry");
            watch.Restart();
            var version = await JourneyWaits.RegisteredVersionAsync(client, name, runId, TimeSpan.FromMinutes(2), ct);
            if (version is null)
            {
                Ui.Error($"no version of {name} from run {runId} appeared in the registry");
                return 1;
            }

            Ui.Done(watch, $"{name} {version}");

            Ui.Step(++step, "Promote to champion");
            watch.Restart();
            var status = await PromoteCommand.PromoteAsync(client, name, version, "champion", who, "demo: first model on the synthetic ward", approve: true, ct);
            if (status != "Promoted")
            {
                return 4;
            }

            Ui.Done(watch, $"{name} {version} is champion");

            Ui.Step(++step, "Live observations → predictions.v1");
            watch.Restart();
            await StreamLiveAsync(context, ward, name, parse.GetValue(live), ct);
            Ui.Done(watch, "live scoring shown");

            Ui.Step(++step, "Where to look");
            var gateway = client.BaseAddress.ToString().TrimEnd('/');
            var previous = ((await client.ListRunsAsync(name, 10, ct))?.AsArray() ?? [])
                .Select(r => r?["runId"]?.GetValue<string>()).FirstOrDefault(r => r is not null && Guid.Parse(r) != runId);
            Ui.Info($"API reference:   {gateway}/api-reference  (OpenAPI per service: {gateway}/openapi/<service>.json; docs/ in the repository)");
            Ui.Info($"model card:      {gateway}/api/registry/models/{name}/versions/{version}/card.md");
            Ui.Info($"training run:    {gateway}/api/training/runs/{runId}   (mlops runs {runId})");
            Ui.Info(previous is null
                ? "run comparison:  train again (mlops train --wait) then mlops runs <new> --compare " + runId
                : $"run comparison:  {gateway}/api/training/runs/compare?a={previous}&b={runId}   (mlops runs {previous} --compare {runId})");
            Ui.Info($"models:          mlops models {name}; predict: mlops predict {name} {ward.Patients[0].EntityId}");
            Ui.Info("API keys:        every /api and /v2 URL needs the X-Api-Key header (MLOPS_API_KEY in .local/platform.env), "
                + $"e.g. curl -H \"X-Api-Key: $MLOPS_API_KEY\" {gateway}/api/registry/models; docs/security.md");
            AnsiConsole.MarkupLine($"\n[bold green]demo finished[/] in {Ui.Seconds(total.Elapsed)}");
            return 0;
        }));
        return command;
    }

    static async Task StreamLiveAsync(CliContext context, Ward ward, string model, int count, CancellationToken ct)
    {
        // The sickest and the healthiest patients, so the scores differ visibly.
        var ranked = ward.Patients.OrderByDescending(p => p.LatentRisk).ToList();
        var chosen = ranked.Take((count + 1) / 2).Concat(ranked.TakeLast(count / 2)).ToList();
        PredictionStream? stream = null;
        try
        {
            stream = PredictionStream.Open(context.Configuration);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Confluent.Kafka.KafkaException)
        {
            Ui.Warn($"cannot read predictions.v1 ({ex.Message}); set Kafka__BootstrapServers or run from the repository (.local/platform.env). Showing HTTP predictions only.");
        }

        using (stream)
        {
            var wanted = chosen.Select(p => p.EntityId).ToHashSet();
            foreach (var patient in chosen)
            {
                var traceId = ActivityTraceId.CreateRandom();
                var traceparent = $"00-{traceId.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01";
                var worsening = patient.LatentRisk > 0 ? 0.8 : 0;
                foreach (var observation in WardGenerator.LiveVitals(ward.Options, patient, DateTimeOffset.UtcNow, worsening))
                {
                    await context.Client.IngestAsync(ObservationCsv.ToJson(observation), traceparent, ct);
                }

                Ui.Info($"{patient.EntityId}: live vitals sent (trace {traceId})");
            }

            if (stream is not null)
            {
                var seen = new HashSet<string>();
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
                while (seen.Count < wanted.Count && DateTime.UtcNow < deadline)
                {
                    if (stream.Next(TimeSpan.FromSeconds(2)) is { } p && wanted.Contains(p.EntityId))
                    {
                        seen.Add(p.EntityId);
                        WatchCommand.Print(p);
                    }
                }

                if (seen.Count < wanted.Count)
                {
                    Ui.Warn($"{wanted.Count - seen.Count} patients had no prediction on predictions.v1 within 90 s");
                }
            }

            foreach (var patient in chosen)
            {
                PredictCommand.Print(patient.EntityId, await JourneyWaits.PredictionAsync(context.Client, model, patient.EntityId, TimeSpan.FromSeconds(30), ct));
            }
        }
    }
}
