using MassTransit;
using Microsoft.Extensions.Options;

namespace Mlops.Monitoring.Profiles;

/// <summary>One queue shared by every monitoring replica: each registration needs storing once.</summary>
public sealed class ModelVersionRegisteredConsumerDefinition : ConsumerDefinition<ModelVersionRegisteredConsumer>
{
    public ModelVersionRegisteredConsumerDefinition(IOptions<MonitoringOptions> options)
    {
        EndpointName = options.Value.ModelVersionsEndpoint;
    }
}
