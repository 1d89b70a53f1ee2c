using System.Diagnostics;
using Mlops.Testing;

namespace Mlops.Kafka.Tests;

[Collection(KafkaCollection.Name)]
public sealed class TraceContextTests(KafkaFixture kafka)
{
    static readonly ActivitySource TestSource = new("Mlops.Tests.Kafka");

    [Fact]
    public async Task ConsumerSpan_AfterKafkaHop_ContinuesTheProducersTrace()
    {
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is KafkaTelemetry.Name or "Mlops.Tests.Kafka",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (spans) { spans.Add(a); } },
        };
        ActivitySource.AddActivityListener(listener);

        var topic = PlatformInfrastructure.UniqueName("trace");
        await kafka.EnsureTopicsAsync(topic);

        ActivityTraceId rootTrace;
        string? envelopeTraceParent;
        using (var root = TestSource.StartActivity("observation arrives"))
        {
            Assert.NotNull(root);
            rootTrace = root.TraceId;
            var sent = await kafka.Producer.ProduceAsync(topic, "patient-7", new Reading { Patient = "patient-7", Sequence = 0, Value = 98 });
            envelopeTraceParent = sent.TraceParent;
        }

        var sink = new EventSink<Reading>();
        using var host = await ConsumerHosts.StartAsync<RecordingReadingHandler>(topic, PlatformInfrastructure.UniqueName("group"), sink);
        await Eventually.WaitUntilAsync(() => sink.Items.Count >= 1, "the traced reading was consumed");
        await host.StopAsync();

        Activity publish;
        lock (spans)
        {
            publish = spans.Single(a => a.OperationName == topic + " publish");
        }

        Assert.Equal(rootTrace, publish.TraceId);
        Assert.Equal(publish.Id, envelopeTraceParent);
        var received = Assert.Single(sink.Items);
        Assert.Equal(rootTrace, received.TraceId);
        Assert.Equal(publish.SpanId, received.ParentSpanId);
    }
}
