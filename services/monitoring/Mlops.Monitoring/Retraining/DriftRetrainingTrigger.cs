using System.Globalization;
using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Monitoring;
using Mlops.Contracts.Registry;

namespace Mlops.Monitoring.Retraining;

/// <summary>Drift on a model whose options enable it (shipped: off — see docs/monitoring.md) asks for a retraining.</summary>
public sealed class DriftRetrainingTrigger(IOptionsMonitor<RetrainingOptions> options) : IConsumer<DriftDetected>
{
    public async Task Consume(ConsumeContext<DriftDetected> context)
    {
        var alert = context.Message;
        if (!options.CurrentValue.Models.TryGetValue(alert.ModelName, out var model) || !model.OnDrift || !RetrainingRequests.IsChampion(alert.Variant))
        {
            return;
        }

        var features = string.Join(", ", alert.Features.Select(f => f.Feature));
        // The alert id makes the request id: a redelivered alert is the same request, recorded once.
        await RetrainingRequests.SendAsync(context, RetrainingRequests.Create(alert.AlertId, alert.ModelName, RetrainingTriggers.Drift,
            $"drift in {features} (window {alert.WindowId}, {RetrainingRequests.F(alert.DriftedShare * 100)} % of features)", "monitoring:drift",
            new Dictionary<string, string>
            {
                ["alertId"] = alert.AlertId.ToString(), ["modelVersion"] = alert.ModelVersion, ["windowId"] = alert.WindowId.ToString(CultureInfo.InvariantCulture),
                ["features"] = features, ["datasetDrift"] = alert.DatasetDrift ? "true" : "false",
            }, alert.DetectedAt), context.CancellationToken);
    }
}
