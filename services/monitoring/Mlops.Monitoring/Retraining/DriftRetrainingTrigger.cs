using System.Globalization;
using MassTransit;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Monitoring;
using Mlops.Contracts.Registry;
using Mlops.Monitoring.Settings;

namespace Mlops.Monitoring.Retraining;

/// <summary>Drift on a model whose options enable it (shipped: off — see docs/monitoring.md) asks for a retraining.</summary>
public sealed class DriftRetrainingTrigger(ModelSettingsStore settings) : IConsumer<DriftDetected>
{
    public async Task Consume(ConsumeContext<DriftDetected> context)
    {
        var alert = context.Message;
        // The model's settings (set over the API, else shipped) decide; read per alert so a change holds at once.
        if (!RetrainingRequests.IsChampion(alert.Variant) || await settings.RetrainingAsync(alert.ModelName, context.CancellationToken) is not { OnDrift: true })
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
