using System.Globalization;
using MassTransit;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Monitoring;
using Mlops.Contracts.Registry;
using Mlops.Monitoring.Settings;

namespace Mlops.Monitoring.Retraining;

/// <summary>A champion ranking worse than its baseline on labelled outcomes (shipped: on) asks for a retraining.</summary>
public sealed class DegradationRetrainingTrigger(ModelSettingsStore settings) : IConsumer<PerformanceDegraded>
{
    public async Task Consume(ConsumeContext<PerformanceDegraded> context)
    {
        var alert = context.Message;
        // The model's settings (set over the API, else shipped) decide; read per alert so a change holds at once.
        if (!RetrainingRequests.IsChampion(alert.Variant) || await settings.RetrainingAsync(alert.ModelName, context.CancellationToken) is not { OnDegradation: true })
        {
            return;
        }

        await RetrainingRequests.SendAsync(context, RetrainingRequests.Create(alert.AlertId, alert.ModelName, RetrainingTriggers.Degradation,
            $"AUROC {RetrainingRequests.F(alert.Auroc)} fell below the {alert.BaselineSource} baseline {RetrainingRequests.F(alert.BaselineAuroc)} by more than {RetrainingRequests.F(alert.Margin)} (window {alert.WindowId}, {alert.Labeled} labelled)",
            "monitoring:performance",
            new Dictionary<string, string>
            {
                ["alertId"] = alert.AlertId.ToString(), ["modelVersion"] = alert.ModelVersion, ["windowId"] = alert.WindowId.ToString(CultureInfo.InvariantCulture),
                ["auroc"] = RetrainingRequests.F(alert.Auroc), ["baselineAuroc"] = RetrainingRequests.F(alert.BaselineAuroc), ["labeled"] = alert.Labeled.ToString(CultureInfo.InvariantCulture),
            }, alert.DetectedAt), context.CancellationToken);
    }
}
