using MassTransit;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Registry;
using Mlops.Registry.Messaging;

namespace Mlops.Registry.Tests.Messaging;

/// <summary>Senders address a command through <see cref="CommandQueues"/>; the registry's consumer must listen on exactly that queue.</summary>
public sealed class CommandQueueTests
{
    static IEnumerable<Type> DefinitionTypes() => typeof(RegistryConsumerDefinition<,>).Assembly.GetTypes()
        .Where(t => !t.IsAbstract && t.BaseType is { IsGenericType: true } b && b.GetGenericTypeDefinition() == typeof(RegistryConsumerDefinition<,>));

    public static TheoryData<Type> Definitions => new(DefinitionTypes());

    [Theory]
    [MemberData(nameof(Definitions))]
    public void ConsumerDefinition_EachCommand_ListensWhereSendersSendIt(Type definitionType)
    {
        var command = definitionType.BaseType!.GetGenericArguments()[1];
        var definition = (IConsumerDefinition)Activator.CreateInstance(definitionType)!;

        var receiverQueue = definition.GetEndpointName(KebabCaseEndpointNameFormatter.Instance);
        var senderAddress = (Uri)typeof(CommandQueues).GetMethod(nameof(CommandQueues.AddressOf))!.MakeGenericMethod(command).Invoke(null, null)!;

        Assert.Equal(new Uri($"queue:{receiverQueue}"), senderAddress);
    }

    [Fact]
    public void RegistryConsumers_EveryCommandConsumer_HasAQueueDefinition()
    {
        var consumed = typeof(RegistryConsumerDefinition<,>).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.BaseType is { IsGenericType: true } b && b.GetGenericTypeDefinition() == typeof(RegistryCommandConsumer<>))
            .Select(t => t.BaseType!.GetGenericArguments()[0]);
        var defined = DefinitionTypes().Select(d => d.BaseType!.GetGenericArguments()[1]);

        Assert.Equal(consumed.OrderBy(t => t.Name), defined.OrderBy(t => t.Name));
    }

    [Theory]
    [InlineData(typeof(RegisterModelVersion), "register-model-version")]
    [InlineData(typeof(RequestPromotion), "request-promotion")]
    [InlineData(typeof(RollBack), "roll-back")]
    public void NameOf_CommandType_IsItsKebabCaseName(Type command, string queue) => Assert.Equal(queue, CommandQueues.NameOf(command));

    [Fact]
    public void AddressOf_RegisterModelVersion_IsTheQueueTrainingSendsTo() =>
        Assert.Equal(new Uri("queue:register-model-version"), CommandQueues.AddressOf<RegisterModelVersion>());
}
