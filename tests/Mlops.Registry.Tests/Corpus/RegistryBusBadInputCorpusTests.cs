using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Registry;
using Mlops.Messaging;
using Mlops.Testing;
using Mlops.Testing.Corpus;
using Xunit.Abstractions;

namespace Mlops.Registry.Tests.Corpus;

/// <summary>
/// Generated bad commands on the registry's RabbitMQ command queues (raw bodies, so malformed JSON and wrong member
/// types are sent too). Each must be answered with a <see cref="RegistryCommandRejected"/> naming the field or — when
/// the body cannot even be read as the command — moved to the queue's <c>_error</c> queue with MassTransit's reason
/// naming the member or position; nothing may be appended to the model's stream, and a valid command sent after them
/// all is still applied (no queue is poisoned, no consumer stopped).
/// </summary>
public sealed class RegistryBusBadInputCorpusTests(ITestOutputHelper output) : IAsyncLifetime
{
    RegistryHost _host = null!;
    IHost _observer = null!;
    RawCommandQueue _raw = null!;
    string _model = "";
    string _sha = "";
    readonly CorpusRejections _rejections = new();

    public async Task InitializeAsync()
    {
        _host = await RegistryHost.StartAsync();
        _model = Models.NewName();
        await Models.RegisterAsync(_host, _model, "1.0.0", Models.Metrics(0.80));
        await Models.RegisterAsync(_host, _model, "1.1.0", Models.Metrics(0.82));
        _sha = await Models.UploadAsync(_host, "onnx bytes of the bus corpus");

        var builder = TestHost.CreateBuilder("registry-corpus-observer", new Dictionary<string, string?> { [RabbitMqVirtualHost.ConfigurationKey] = _host.VirtualHost.Name });
        builder.Services.AddSingleton(_rejections);
        builder.AddPlatformMessaging(bus => bus.AddConsumer<RejectionRecorder>().Endpoint(e =>
        {
            e.Name = PlatformInfrastructure.UniqueName("registry-corpus");
            e.AddConfigureEndpointCallback(c => ((IRabbitMqReceiveEndpointConfigurator)c).AutoDelete = true);
        }));
        builder.Services.Configure<MassTransitHostOptions>(o => o.WaitUntilStarted = true);
        _observer = builder.Build();
        await _observer.StartAsync();
        _raw = await RawCommandQueue.ConnectAsync(_host.VirtualHost.Name);
    }

    public async Task DisposeAsync()
    {
        await _raw.DisposeAsync();
        await _observer.StopAsync();
        _observer.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task BadCommands_OnEveryRegistryQueue_AreRejectedNamingTheFieldAndAppendNothing()
    {
        var before = (await _host.Registry.HistoryAsync(_model)).Count;
        var cases = Cases().ToList();
        var sent = new Dictionary<Guid, (string Queue, BadInput Case)>();
        foreach (var (queue, c) in cases)
        {
            sent[await _raw.PublishCaseAsync(queue, c)] = (queue, c);
        }

        // A valid registration after every bad command: its queue still delivers.
        var canary = Models.NewName();
        var canarySha = await Models.UploadAsync(_host, "onnx bytes of the canary");
        var registration = JsonSerializer.SerializeToNode(Models.Registration(canary, "1.0.0", canarySha, Models.Metrics(0.8)), Json.Options)!;
        var canaryId = Guid.NewGuid();
        await _raw.PublishAsync(CommandQueues.NameOf<RegisterModelVersion>(), canaryId,
            Encoding.UTF8.GetBytes(RawCommandQueue.Envelope(canaryId, Urn<RegisterModelVersion>(), CommandQueues.NameOf<RegisterModelVersion>(), registration).ToJsonString()));

        var faults = new Dictionary<string, string>(StringComparer.Ordinal);
        var queues = sent.Values.Select(s => s.Queue).Distinct().ToList();
        var deadline = DateTime.UtcNow.AddSeconds(90);
        var canaryApplied = false;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var queue in queues)
            {
                foreach (var (id, reason) in await _raw.DrainErrorsAsync(queue))
                {
                    faults[id] = reason;
                }
            }

            canaryApplied = (await _host.Registry.HistoryAsync(canary)).Count > 0;
            if (canaryApplied && sent.Keys.All(id => faults.ContainsKey(id.ToString()) || _rejections.ByInitiator.ContainsKey(id)))
            {
                break;
            }

            await Task.Delay(250);
        }

        Assert.True(canaryApplied, "a valid command sent after the corpus was not applied: a queue is stuck");
        var failures = new List<string>();
        foreach (var (id, (queue, c)) in sent)
        {
            if (_rejections.ByInitiator.TryGetValue(id, out var rejected))
            {
                if (!Names(c, rejected.Errors))
                {
                    failures.Add($"{queue} / {c.Name}: rejection does not name '{c.Field}': {Refusal.Cut(string.Join("; ", rejected.Errors))}");
                }
            }
            else if (!faults.TryGetValue(id.ToString(), out var fault))
            {
                failures.Add($"{queue} / {c.Name}: neither rejected nor faulted with a reason");
            }
            else if (string.IsNullOrWhiteSpace(fault))
            {
                failures.Add($"{queue} / {c.Name}: faulted without a reason");
            }
            else if (!Names(c, [fault]))
            {
                // A body MassTransit cannot read as the command is faulted to the _error queue; its reason must name the
                // member too (Mlops.Messaging NamedFaultReasonFilter puts the serializer's path in the fault headers).
                failures.Add($"{queue} / {c.Name}: fault does not name '{c.Field}': {Refusal.Cut(fault)}");
            }
        }

        output.WriteLine($"{cases.Count} cases, {cases.Count - failures.Count} refused or faulted naming the field, {failures.Count} failed");

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n", failures));
        Assert.True(cases.Count >= 200, $"the corpus has only {cases.Count} cases");
        Assert.Equal(before, (await _host.Registry.HistoryAsync(_model)).Count);
    }

    static bool Names(BadInput c, IEnumerable<string> reasons)
    {
        var texts = reasons.ToList();
        if (texts.All(string.IsNullOrWhiteSpace))
        {
            return false;
        }

        if (c.Name.EndsWith("nested 1000 levels", StringComparison.Ordinal))
        {
            return texts.Any(t => t.Contains("depth", StringComparison.Ordinal) && (t.Contains("BytePositionInLine", StringComparison.Ordinal) || t.Contains("byte", StringComparison.Ordinal)))
                || (c.Field != "$" && Refusal.NamesInText(c.Field, texts));
        }

        if (!IsJson(c.Bytes))
        {
            // Not JSON at all (a bad token inside a member, say): MassTransit cannot read the envelope, and its reason gives
            // the line and byte position — what a malformed body's refusal must say.
            return texts.Any(t => t.Contains("line", StringComparison.OrdinalIgnoreCase) && t.Contains("byte", StringComparison.OrdinalIgnoreCase));
        }

        return c.Field == "$"
            ? c.Mentions is null || texts.Any(t => t.Contains(c.Mentions, StringComparison.OrdinalIgnoreCase))
            : Refusal.NamesInText(c.Field, texts) || Refusal.NamesInText(c.Field, texts.SelectMany(t => t.Split(':', ' ', '\'', '.', '$')));
    }

    static bool IsJson(byte[] bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    static string Urn<T>() => $"urn:message:{typeof(T).Namespace}:{typeof(T).Name}";

    IEnumerable<(string Queue, BadInput Case)> Cases()
    {
        var register = Command<RegisterModelVersion>(() =>
        {
            var node = JsonSerializer.SerializeToNode(Models.Registration(_model, "2.0.0", _sha, Models.Metrics(0.83)), Json.Options)!.AsObject();
            return node;
        });
        foreach (var field in new[] { "modelName", "version", "artifactSha256", "datasetVersion", "featureSetVersion", "trainingRunId", "codeVersion", "registeredBy" })
        {
            foreach (var c in register.Json.Field("message." + field, FieldKind.Identifier))
            {
                yield return register.With(c);
            }
        }

        foreach (var c in register.Json.Field("message.description", FieldKind.FreeText, required: false)
            .Concat(register.Json.Field("message.metrics", FieldKind.Object))
            .Concat(register.Json.Field("message.signature", FieldKind.Object)))
        {
            yield return register.With(c);
        }

        var promote = Command<RequestPromotion>(() => new JsonObject
        {
            ["modelName"] = _model, ["version"] = "1.1.0", ["alias"] = "champion", ["requestedBy"] = "ops-alice", ["reason"] = "weekly retrain",
        });
        foreach (var c in promote.Json.Field("message.modelName", FieldKind.Identifier)
            .Concat(promote.Json.Field("message.version", FieldKind.Identifier))
            .Concat(promote.Json.Field("message.alias", FieldKind.Identifier))
            .Concat(promote.Json.Field("message.requestedBy", FieldKind.Identifier))
            .Concat(promote.Json.Field("message.reason", FieldKind.FreeText))
            .Concat(promote.Json.Field("message.expectedRevision", FieldKind.Number, required: false)))
        {
            yield return promote.With(c);
        }

        var approve = Command<ApprovePromotion>(() => new JsonObject
        {
            ["modelName"] = _model, ["promotionId"] = Guid.NewGuid().ToString(), ["approvedBy"] = "lead-carol", ["reason"] = "reviewed",
        });
        foreach (var c in approve.Json.Field("message.approvedBy", FieldKind.Identifier)
            .Concat(approve.Json.Field("message.reason", FieldKind.FreeText))
            .Concat(approve.Json.Field("message.promotionId", FieldKind.Guid)))
        {
            yield return approve.With(c);
        }

        var reject = Command<RejectPromotion>(() => new JsonObject
        {
            ["modelName"] = _model, ["promotionId"] = Guid.NewGuid().ToString(), ["rejectedBy"] = "lead-carol", ["reason"] = "not calibrated",
        });
        foreach (var c in reject.Json.Field("message.rejectedBy", FieldKind.Identifier)
            .Concat(reject.Json.Field("message.reason", FieldKind.FreeText))
            .Concat(reject.Json.Field("message.promotionId", FieldKind.Guid)))
        {
            yield return reject.With(c);
        }

        var rollBack = Command<RollBack>(() => new JsonObject { ["modelName"] = _model, ["alias"] = "champion", ["requestedBy"] = "ops-alice", ["reason"] = "alert storm" });
        foreach (var c in rollBack.Json.Field("message.modelName", FieldKind.Identifier)
            .Concat(rollBack.Json.Field("message.alias", FieldKind.Identifier, required: false))
            .Concat(rollBack.Json.Field("message.requestedBy", FieldKind.Identifier))
            .Concat(rollBack.Json.Field("message.reason", FieldKind.FreeText)))
        {
            yield return rollBack.With(c);
        }

        // Bodies MassTransit cannot read as an envelope at all.
        var valid = promote.Json.Valid();
        foreach (var c in new[]
        {
            BadInput.Of("truncated envelope", "$", valid[..(valid.Length / 2)]),
            BadInput.Of("envelope trailing garbage", "$", valid + " garbage"),
            BadInput.Of("envelope single quotes", "$", valid.Replace('"', '\'')),
            BadInput.Of("envelope is a number", "$", "88"),
            BadInput.Of("envelope is null", "$", "null"),
            BadInput.Of("empty body", "$", ""),
            BadInput.Of("envelope nested 1000 levels", "$", BadJson.Deep(1000)),
            BadInput.Of("message member missing", "message", promote.Json.Without("message")),
            BadInput.Of("message is a string", "message", promote.Json.With("message", "promote it")),
            BadInput.Of("message is an array", "message", promote.Json.With("message", new JsonArray())),
        })
        {
            yield return promote.With(c);
        }
    }

    CommandCases Command<T>(Func<JsonObject> message)
        where T : class
    {
        var queue = CommandQueues.NameOf<T>();
        return new CommandCases(queue, new BadJson(() => RawCommandQueue.Envelope(Guid.NewGuid(), Urn<T>(), queue, message())));
    }

    sealed record CommandCases(string Queue, BadJson Json)
    {
        public (string Queue, BadInput Case) With(BadInput c) => (Queue, c);
    }
}

/// <summary>The registry's rejections, by the id of the command they answer (MassTransit's InitiatorId).</summary>
internal sealed class CorpusRejections
{
    public ConcurrentDictionary<Guid, RegistryCommandRejected> ByInitiator { get; } = new();
}

internal sealed class RejectionRecorder(CorpusRejections rejections) : IConsumer<RegistryCommandRejected>
{
    public Task Consume(ConsumeContext<RegistryCommandRejected> context)
    {
        if (context.InitiatorId is { } initiator)
        {
            rejections.ByInitiator[initiator] = context.Message;
        }

        return Task.CompletedTask;
    }
}
