using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Testing;

namespace Mlops.Messaging.Tests;

public sealed class CommandRoundTripTests
{
    static readonly ActivitySource TestSource = new("Mlops.Tests.Messaging");

    [Fact]
    public async Task RequestOverRabbitMq_ToConsumerOnItsQueue_ReturnsReplyInTheSameTrace()
    {
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is "MassTransit" or "Mlops.Tests.Messaging",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);

        var queue = PlatformInfrastructure.UniqueName("score-vitals");
        using var host = await MessagingHosts.StartAsync(bus =>
        {
            bus.AddConsumer<ScoreVitalsConsumer>().Endpoint(e =>
            {
                e.Name = queue;
                MessagingHosts.AutoDelete(e);
            });
            
            // The exchange of the same name is bound to the queue; declared as the endpoint declares it (auto-delete).
            bus.AddRequestClient<ScoreVitals>(new Uri($"exchange:{queue}?autodelete=true"));
        });

        using var root = TestSource.StartActivity("clinician asks for a score");
        Assert.NotNull(root);
        await using var scope = host.Services.CreateAsyncScope();
        var client = scope.ServiceProvider.GetRequiredService<IRequestClient<ScoreVitals>>();
        var response = await client.GetResponse<VitalsScored>(
            new ScoreVitals { PatientId = "patient-3", HeartRate = 120, SystolicBloodPressure = 80 }, timeout: RequestTimeout.After(s: 60));

        Assert.Equal("patient-3", response.Message.PatientId);
        Assert.Equal(1.5, response.Message.ShockIndex, precision: 10);
        Assert.Equal("/" + queue, response.Message.AnsweredBy);
        Assert.Equal(root.TraceId.ToString(), response.Message.TraceId);

        await host.StopAsync();
    }
}
