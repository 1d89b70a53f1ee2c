using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Monitoring;
using Mlops.Contracts.Registry;

namespace Mlops.Monitoring.Retraining;

/// <summary>Builds the one command every trigger sends, and sends it to the command's queue.</summary>
public static class RetrainingRequests
{
    public static RequestRetraining Create(Guid id, string model, string trigger, string reason, string by, IReadOnlyDictionary<string, string> evidence, DateTimeOffset at) => new()
    {
        RequestId = id, ModelName = model, Trigger = trigger, Reason = reason, RequestedBy = by, Evidence = evidence, RequestedAt = at,
    };

    public static async Task SendAsync(ISendEndpointProvider endpoints, RequestRetraining request, CancellationToken ct)
    {
        var endpoint = await endpoints.GetSendEndpoint(CommandQueues.AddressOf<RequestRetraining>());
        await endpoint.Send(request, ct);
    }

    internal static string F(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>Alerts about the champion only: a challenger's or shadow's trouble is its rollout's business.</summary>
    internal static bool IsChampion(string variant) => variant == ModelAliases.Champion;
}
