using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Mlops.Cli.Rendering;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary>
/// <c>mlops batch-predict --model &lt;name&gt; --dataset &lt;version&gt; (--at &lt;time&gt;… | --label-times)</c>: scores every
/// entity of a dataset version with a model version, shows the job's progress and downloads its results as NDJSON or
/// Parquet (docs/lineage.md, "Batch inference"); <c>mlops batch-predict cancel &lt;job id&gt;</c> stops a job.
/// </summary>
public static class BatchPredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model name", DefaultValueFactory = _ => TrainCommand.DefaultModel };
        var version = new Option<string?>("--version") { Description = "Model version (default: the champion's, resolved when the job starts)" };
        var dataset = new Option<string?>("--dataset") { Description = "Ingestion dataset version whose entities are scored (required unless --job)" };
        var at = new Option<string[]>("--at") { Description = "ISO 8601 time every entity is scored at (repeat for several)", AllowMultipleArgumentsPerToken = true };
        var labelTimes = new Option<bool>("--label-times") { Description = "Score at every label time recorded by the dataset version's snapshot instead" };
        var label = new Option<string?>("--label") { Description = "The label whose times count with --label-times (default: the service's)" };
        var topic = new Option<string?>("--output-topic") { Description = "Also send every row to this Kafka topic" };
        var output = new Option<FileInfo?>("--out") { Description = "File to download the results to (default: <job id>.<format>)" };
        var format = new Option<string>("--format") { Description = "ndjson or parquet", DefaultValueFactory = _ => "ndjson" };
        format.AcceptOnlyFromAmong("ndjson", "parquet");
        var noWait = new Option<bool>("--no-wait") { Description = "Start the job and print its id without waiting or downloading" };
        var job = new Option<string?>("--job") { Description = "Follow and download an existing job instead of starting one" };
        var command = new Command("batch-predict", "Score every entity of a dataset version with a model version; download the results")
        {
            model, version, dataset, at, labelTimes, label, topic, output, format, noWait, job,
        };
        command.Subcommands.Add(Cancel());
        command.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var id = parse.GetValue(job);
            if (id is null)
            {
                if (parse.GetValue(dataset) is not { } datasetVersion)
                {
                    Ui.Error("--dataset is required to start a job (or --job to follow one)");
                    return 1;
                }

                var request = new JsonObject { ["model"] = parse.GetValue(model), ["datasetVersion"] = datasetVersion };
                if (parse.GetValue(version) is { } v)
                {
                    request["version"] = v;
                }

                if (parse.GetValue(labelTimes))
                {
                    request["labelTimes"] = true;
                    if (parse.GetValue(label) is { } l)
                    {
                        request["labelName"] = l;
                    }
                }
                else
                {
                    request["times"] = new JsonArray([.. (parse.GetValue(at) ?? []).Select(t => (JsonNode)JsonValue.Create(t)!)]);
                }

                if (parse.GetValue(topic) is { } t2)
                {
                    request["outputTopic"] = t2;
                }

                var started = await context.Client.StartBatchJobAsync(request, ct);
                id = RunsCommand.Text(started?["id"]);
                AnsiConsole.MarkupLine($"   job [bold]{Markup.Escape(id)}[/]: {Markup.Escape(RunsCommand.Text(started?["model"]))} {Markup.Escape(RunsCommand.Text(started?["version"]))} over dataset {Markup.Escape(datasetVersion)}, " +
                    $"{started?["entities"]?.GetValue<int>()} entities in {started?["chunks"]?["total"]?.GetValue<int>()} chunks");
                if (parse.GetValue(noWait))
                {
                    Console.WriteLine(id);
                    return 0;
                }
            }

            var finished = await FollowAsync(context, id, ct);
            if (RunsCommand.Text(finished?["state"]) != "succeeded")
            {
                Ui.Error($"job {id} {RunsCommand.Text(finished?["state"])}: {RunsCommand.Text(finished?["error"])}");
                return 2;
            }

            var chosen = parse.GetValue(format)!;
            var file = parse.GetValue(output) ?? new FileInfo($"{id}.{chosen}");
            await using (var stream = file.Create())
            {
                await context.Client.DownloadBatchResultsAsync(id, chosen, stream, ct);
            }

            AnsiConsole.MarkupLine($"   {finished?["rows"]?.GetValue<long>().ToString(CultureInfo.InvariantCulture)} rows written to [bold]{Markup.Escape(file.FullName)}[/] ({chosen})");
            return 0;
        }));
        return command;
    }

    static Command Cancel()
    {
        var id = new Argument<string>("job") { Description = "The job's id (printed when it started; GET /api/inference/batch-jobs lists them)" };
        var cancel = new Command("cancel", "Cancel a planning or running job: its chunks not yet scored are skipped, the rows written stay") { id };
        cancel.SetAction(CliContext.Action(async (context, parse, ct) =>
        {
            var job = await context.Client.CancelBatchJobAsync(parse.GetValue(id)!, ct);
            AnsiConsole.MarkupLine($"   job [bold]{Markup.Escape(RunsCommand.Text(job?["id"]))}[/] {Markup.Escape(RunsCommand.Text(job?["state"]))}: " +
                $"{job?["chunks"]?["done"]?.GetValue<int>()} of {job?["chunks"]?["total"]?.GetValue<int>()} chunks done, {job?["rows"]?.GetValue<long>().ToString(CultureInfo.InvariantCulture)} rows kept");
            return 0;
        }));
        return cancel;
    }

    /// <summary>Polls the job until it is no longer planning or running, with a progress bar over its chunks.</summary>
    static async Task<JsonNode?> FollowAsync(CliContext context, string id, CancellationToken ct)
    {
        var job = await context.Client.GetBatchJobAsync(id, ct);
        var total = job?["chunks"]?["total"]?.GetValue<int>() ?? 0;
        return await Ui.ProgressAsync($"batch job {id}", total, async report =>
        {
            while (RunsCommand.Text(job?["state"]) is "planning" or "running")
            {
                report(job?["chunks"]?["done"]?.GetValue<int>() ?? 0);
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                job = await context.Client.GetBatchJobAsync(id, ct);
            }

            report(job?["chunks"]?["done"]?.GetValue<int>() ?? 0);
            return job;
        });
    }
}
