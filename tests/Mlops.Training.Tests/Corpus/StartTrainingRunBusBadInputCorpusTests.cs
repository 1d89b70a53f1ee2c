using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Training;
using Mlops.Messaging;
using Mlops.Testing;
using Mlops.Testing.Corpus;
using Mlops.Training.Pipeline;
using Xunit.Abstractions;

namespace Mlops.Training.Tests.Corpus;

/// <summary>
/// Generated bad <see cref="StartTrainingRun"/> commands on the training command queue, as raw bodies. Each must be
/// answered with <see cref="TrainingRunFailed"/> at step <c>Request</c> whose reason names the field, or — when the
/// body cannot be read as the command — moved to the queue's <c>_error</c> queue with MassTransit's reason; none may
/// start a run, and the queue keeps delivering (a command sent after them all is still answered).
/// </summary>
[Collection(TrainingCollection.Name)]
public sealed class StartTrainingRunBusBadInputCorpusTests(TrainingAppFactory app, ITestOutputHelper output) : IAsyncLifetime
{
    static readonly string Queue = CommandQueues.NameOf<StartTrainingRun>();
    static readonly string Urn = $"urn:message:{typeof(StartTrainingRun).Namespace}:{nameof(StartTrainingRun)}";

    readonly string _model = PlatformInfrastructure.UniqueName("bus-corpus");
    readonly FailedRuns _failed = new();
    IHost _observer = null!;
    RawCommandQueue _raw = null!;

    public async Task InitializeAsync()
    {
        _ = app.Server;
        var builder = TestHost.CreateBuilder("training-corpus-observer", new Dictionary<string, string?> { [RabbitMqVirtualHost.ConfigurationKey] = app.VirtualHost.Name });
        builder.Services.AddSingleton(_failed);
        builder.AddPlatformMessaging(bus => bus.AddConsumer<FailedRunRecorder>().Endpoint(e =>
        {
            e.Name = PlatformInfrastructure.UniqueName("training-corpus");
            e.AddConfigureEndpointCallback(c => ((IRabbitMqReceiveEndpointConfigurator)c).AutoDelete = true);
        }));
        builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        _observer = builder.Build();
        await _observer.StartAsync();
        _raw = await RawCommandQueue.ConnectAsync(app.VirtualHost.Name);
    }

    public async Task DisposeAsync()
    {
        await _raw.DisposeAsync();
        await _observer.StopAsync();
        _observer.Dispose();
    }

    [Fact]
    public async Task BadStartTrainingRunCommands_AreRefusedNamingTheFieldAndStartNoRun()
    {
        var cases = Cases().ToList();
        var sent = new Dictionary<Guid, BadInput>();
        foreach (var c in cases)
        {
            sent[await _raw.PublishCaseAsync(Queue, c)] = c;
        }

        var faults = new Dictionary<string, string>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline && !sent.All(s => faults.ContainsKey(s.Key.ToString()) || Answer(s.Key, s.Value) is not null))
        {
            foreach (var (id, reason) in await _raw.DrainErrorsAsync(Queue))
            {
                faults[id] = reason;
            }

            await Task.Delay(250);
        }

        var failures = new List<string>();
        foreach (var (messageId, c) in sent)
        {
            var failed = Answer(messageId, c);
            var reason = failed is not null ? (failed.Step == StartTrainingRunCommandConsumer.RequestStep ? failed.Reason : null)
                : faults.GetValueOrDefault(messageId.ToString());
            if (reason is null)
            {
                failures.Add($"{c.Name}: neither refused at step Request nor faulted with a reason{(failed is null ? "" : $" (failed at {failed.Step}: {failed.Reason})")}");
            }
            else if (!Names(c, reason))
            {
                // Refused by the saga, or faulted to the _error queue because MassTransit cannot read the body as the
                // command: either way the reason names the member (Mlops.Messaging NamedFaultReasonFilter).
                failures.Add($"{c.Name}: {(failed is not null ? "reason" : "fault")} does not name '{c.Field}': {Refusal.Cut(reason)}");
            }
        }

        output.WriteLine($"{cases.Count} cases, {cases.Count - failures.Count} refused or faulted naming the field, {failures.Count} failed");

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n", failures));
        Assert.True(cases.Count >= 200, $"the corpus has only {cases.Count} cases");

        using var http = app.CreateClient();
        foreach (var runId in _failed.ByInitiator.Values.Select(f => f.RunId).Where(r => r != Guid.Empty))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/api/training/runs/{runId}")).StatusCode);
        }

        var listed = await http.GetStringAsync($"/api/training/runs?model={_model}");
        Assert.Equal("[]", listed);
    }

    // The refusal of a command: by the command's message id (InitiatorId), else by the run id it carried.
    TrainingRunFailed? Answer(Guid messageId, BadInput c)
    {
        if (_failed.ByInitiator.TryGetValue(messageId, out var failed))
        {
            return failed;
        }

        var text = c.Text;
        var at = text.IndexOf("\"runId\":\"", StringComparison.Ordinal);
        return at >= 0 && text.Length >= at + 45 && Guid.TryParse(text.AsSpan(at + 9, 36), out var runId) && runId != Guid.Empty
            && _failed.ByRun.TryGetValue(runId, out var byRun) ? byRun : null;
    }

    static bool Names(BadInput c, string reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            return false;
        }

        if (c.Name.EndsWith("nested 1000 levels", StringComparison.Ordinal))
        {
            // A typed member refuses the first '[' (naming the member); an untyped one reads until the depth limit.
            return (reason.Contains("depth", StringComparison.Ordinal) && reason.Contains("byte", StringComparison.OrdinalIgnoreCase))
                || (c.Field != "$" && Refusal.NamesInText(c.Field, [reason]));
        }

        if (!IsJson(c.Bytes))
        {
            // Not JSON at all (a bad token inside a member, say): MassTransit cannot read the envelope, and its reason gives
            // the line and byte position — what a malformed body's refusal must say.
            return reason.Contains("line", StringComparison.OrdinalIgnoreCase) && reason.Contains("byte", StringComparison.OrdinalIgnoreCase);
        }

        return c.Field == "$"
            ? c.Mentions is null || reason.Contains(c.Mentions, StringComparison.OrdinalIgnoreCase)
            : Refusal.NamesInText(c.Field, [reason]) || Refusal.NamesInText(c.Field, reason.Split(':', ' ', '\'', '.', '$', ';'));
    }

    static bool IsJson(byte[] bytes)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(bytes);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    JsonObject Command(Guid runId) => new()
    {
        ["runId"] = runId.ToString(),
        ["modelName"] = _model,
        ["featureSetVersion"] = "fs-test-1",
        ["datasetVersion"] = "ds-test-1",
        ["labelName"] = "deterioration",
        ["algorithm"] = "gbdt",
        ["hyperparameters"] = new JsonObject { ["rounds"] = 20 },
        ["requestedBy"] = "corpus",
    };

    IEnumerable<BadInput> Cases()
    {
        var json = new BadJson(() => RawCommandQueue.Envelope(Guid.NewGuid(), Urn, Queue, Command(Guid.NewGuid())));
        foreach (var field in new[] { "modelName", "featureSetVersion", "datasetVersion", "labelName", "requestedBy" })
        {
            foreach (var c in json.Field("message." + field, FieldKind.Identifier))
            {
                yield return c;
            }
        }

        foreach (var c in json.Field("message.subgroupFeature", FieldKind.Identifier, required: false).Where(c => !c.Name.EndsWith(" empty", StringComparison.Ordinal) && !c.Name.EndsWith(" whitespace", StringComparison.Ordinal)))
        {
            yield return c;
        }

        foreach (var bad in new[] { "", "xgboost", "gbdt\u0000", "GBDT " })
        {
            yield return BadJson.Case($"algorithm '{bad}'", "algorithm", json.With("message.algorithm", bad));
        }

        yield return BadJson.Case("hyperparameter unknown", "hyperparameters", json.With("message.hyperparameters", new JsonObject { ["depth_of_forest"] = 3 }));
        yield return BadJson.Case("hyperparameter text", "hyperparameters", json.With("message.hyperparameters", new JsonObject { ["rounds"] = "many" }));
        yield return BadJson.Case("hyperparameter 1e400", "hyperparameters", json.WithRaw("message.hyperparameters", "{\"rounds\":1e400}"));
        yield return BadJson.Case("hyperparameters array", "hyperparameters", json.With("message.hyperparameters", new JsonArray(1)));
        yield return BadJson.Case("searchTrials negative", "searchTrials", json.With("message.searchTrials", -1));
        yield return BadJson.Case("searchTrials two billion", "searchTrials", json.With("message.searchTrials", 2_000_000_000));
        yield return BadJson.Case("searchTrials text", "searchTrials", json.With("message.searchTrials", "many"));
        yield return BadJson.Case("features with NUL", "features", json.With("message.features", new JsonArray("heart\u0000rate")));
        yield return BadJson.Case("features with empty name", "features", json.With("message.features", new JsonArray("")));
        yield return BadJson.Case("runId not a guid", "runId", json.With("message.runId", "run-1"));
        yield return BadJson.Case("runId empty guid", "runId", json.With("message.runId", Guid.Empty.ToString()));
        yield return BadJson.Case("runId number", "runId", json.With("message.runId", 88));

        var valid = json.Valid();
        yield return BadInput.Of("truncated envelope", "$", valid[..(valid.Length / 2)]);
        yield return BadInput.Of("envelope trailing garbage", "$", valid + " garbage");
        yield return BadInput.Of("envelope is a number", "$", "88");
        yield return BadInput.Of("empty body", "$", "");
        yield return BadInput.Of("envelope nested 1000 levels", "$", BadJson.Deep(1000));
        yield return BadInput.Of("message is a string", "message", json.With("message", "train it"));
    }
}

/// <summary>Failed runs seen on the bus, by the id of the command they answer (MassTransit's InitiatorId).</summary>
internal sealed class FailedRuns
{
    public ConcurrentDictionary<Guid, TrainingRunFailed> ByInitiator { get; } = new();

    public ConcurrentDictionary<Guid, TrainingRunFailed> ByRun { get; } = new();
}

internal sealed class FailedRunRecorder(FailedRuns runs) : IConsumer<TrainingRunFailed>
{
    public Task Consume(ConsumeContext<TrainingRunFailed> context)
    {
        if (context.InitiatorId is { } initiator)
        {
            runs.ByInitiator[initiator] = context.Message;
        }

        runs.ByRun[context.Message.RunId] = context.Message;
        return Task.CompletedTask;
    }
}
