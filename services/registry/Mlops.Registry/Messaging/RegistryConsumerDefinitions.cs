using MassTransit;

namespace Mlops.Registry.Messaging;

/// <summary>Queue <c>{prefix}-{command}</c> per command; auto-deleted in test hosts.</summary>
public abstract class RegistryConsumerDefinition<TConsumer> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer
{
    readonly RegistryOptions _options;

    protected RegistryConsumerDefinition(RegistryOptions options, string command)
    {
        _options = options;
        EndpointName = $"{options.EndpointPrefix}-{command}";
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator, IRegistrationContext context)
    {
        if (_options.TemporaryEndpoints && endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.AutoDelete = true;
        }
    }
}

public sealed class RegisterModelVersionConsumerDefinition(RegistryOptions options) : RegistryConsumerDefinition<RegisterModelVersionConsumer>(options, "register-model-version");

public sealed class RequestPromotionConsumerDefinition(RegistryOptions options) : RegistryConsumerDefinition<RequestPromotionConsumer>(options, "request-promotion");

public sealed class ApprovePromotionConsumerDefinition(RegistryOptions options) : RegistryConsumerDefinition<ApprovePromotionConsumer>(options, "approve-promotion");

public sealed class RejectPromotionConsumerDefinition(RegistryOptions options) : RegistryConsumerDefinition<RejectPromotionConsumer>(options, "reject-promotion");

public sealed class RollBackConsumerDefinition(RegistryOptions options) : RegistryConsumerDefinition<RollBackConsumer>(options, "roll-back");
