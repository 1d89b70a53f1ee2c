using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Mlops.Gateway.Experiments;

/// <summary>
/// Feeds experiments whose outcomes monitoring counts: every interval, each such experiment younger than
/// <see cref="ExperimentOutcomeOptions.MaxAge"/> is brought up to monitoring's cumulative counts per arm, and every
/// change is one look of the sequential test (safe to take as often as this: the p-value is always valid). Monitoring
/// unreachable is a round skipped and retried, never a change of counts.
/// </summary>
public sealed class ExperimentOutcomeFeeder(
    ExperimentStore store, MonitoringOutcomeClient monitoring, IOptions<ExperimentOutcomeOptions> options, TimeProvider clock,
    ILogger<ExperimentOutcomeFeeder> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.MonitoringAddress is null)
        {
            logger.LogInformation("No Gateway:Experiments:MonitoringAddress: experiments with monitoring-counted outcomes are not fed");
            return;
        }

        using var timer = new PeriodicTimer(options.Value.Interval, clock);
        do
        {
            try
            {
                await FeedAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // The gateway's database unreachable: the next round tries again.
                logger.LogWarning("Experiment outcomes not fed this round: {Reason}", ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One round over every fed experiment; returns how many took a look.</summary>
    public async Task<int> FeedAsync(CancellationToken cancellationToken)
    {
        var looks = 0;
        var oldest = clock.GetUtcNow() - options.Value.MaxAge;
        foreach (var experiment in await store.ListFedAsync(oldest, cancellationToken))
        {
            using var activity = ExperimentTelemetry.Source.StartActivity("experiment outcomes from monitoring");
            activity?.SetTag("mlops.experiment", experiment.Id);
            IReadOnlyDictionary<string, (long Trials, long Successes)> totals;
            try
            {
                totals = await monitoring.TotalsAsync(experiment, cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException or OperationCanceledException or KeyNotFoundException or InvalidOperationException
                                       && !cancellationToken.IsCancellationRequested)
            {
                ExperimentTelemetry.OutcomeReadFailures.Add(1);
                logger.LogWarning("Outcomes of experiment {Experiment} not read from monitoring: {Reason}", experiment.Id, ex.Message);
                continue;
            }

            if (!experiment.Arms.Any(a => totals.TryGetValue(a.Name, out var t) && t.Trials > a.Trials))
            {
                continue;
            }

            if (await store.SetTotalsAsync(experiment.Id, totals, cancellationToken) is { } looked)
            {
                looks++;
                var added = looked.Arms.Sum(a => a.Trials) - experiment.Arms.Sum(a => a.Trials);
                ExperimentTelemetry.Observations.Add(added);
                var status = ExperimentAnalysis.Analyse(looked);
                if (status.SampleRatio.Mismatch)
                {
                    ExperimentTelemetry.SampleRatioMismatches.Add(1);
                }

                activity?.SetTag("mlops.experiment.decision", status.Decision);
                logger.LogInformation("Experiment {Experiment}: {Added} labelled units from monitoring; decision {Decision}", experiment.Id, added, status.Decision);
            }
        }

        return looks;
    }
}
