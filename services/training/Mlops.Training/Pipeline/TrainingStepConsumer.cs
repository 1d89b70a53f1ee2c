using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Registry;
using Mlops.Contracts.Training;
using Mlops.ServiceDefaults.Resilience;
using Mlops.Training.Algorithms;
using Mlops.Training.Algorithms.Export;
using Mlops.Training.Registry;
using Mlops.Training.Tracking;

namespace Mlops.Training.Pipeline;

/// <summary>Runs one step of a run and reports completion or failure to the saga.</summary>
public sealed class TrainingStepConsumer(
    TrainingStepRunner runner, RunWorkspace workspace, RunStore runs, IModelArtifactSink artifacts, CodeVersion codeVersion,
    IOptions<TrainingOptions> options, ILogger<TrainingStepConsumer> logger) : IConsumer<ExecuteTrainingStep>
{
    public async Task Consume(ConsumeContext<ExecuteTrainingStep> context)
    {
        var (runId, step, request) = (context.Message.RunId, context.Message.Step, context.Message.Request);
        if (workspace.IsCancelled(runId))
        {
            workspace.Release(runId);
            return;
        }

        using var activity = TrainingTelemetry.Source.StartActivity($"training step {step}");
        activity?.SetTag("mlops.run_id", runId);
        var work = workspace.For(runId);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, work.Cancellation.Token);
        var ct = linked.Token;
        string? artifactSha = null;
        try
        {
            artifactSha = await WhileDependenciesRecoverAsync(runId, step, async () =>
            {
                if (step == TrainingSteps.Register)
                {
                    await runner.PrepareAsync(request, step, work, ct);
                    return await RegisterAsync(context, request, work, ct);
                }

                return await runner.RunAsync(request, step, work, ct);
            }, ct);
        }
        catch (OperationCanceledException) when (work.Cancellation.IsCancellationRequested)
        {
            logger.LogInformation("Run {RunId} cancelled during {Step}", runId, step);
            await runs.EndStepAsync(runId, step, RunStatus.Cancelled, CancellationToken.None);
            workspace.Release(runId);
            await runner.ForgetAsync(runId, CancellationToken.None);
            return;
        }
        catch (Exception e) when (!context.CancellationToken.IsCancellationRequested)
        {
            // Data and model problems do not heal on retry: the run fails at this step with the reason.
            logger.LogWarning(e, "Run {RunId} failed at {Step}", runId, step);
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            await runs.EndStepAsync(runId, step, RunStatus.Failed, CancellationToken.None);
            workspace.Release(runId);
            await runner.ForgetAsync(runId, CancellationToken.None);
            var reason = e is TrainingStepException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            await context.Publish(new TrainingStepFailed { RunId = runId, Step = step, Reason = reason });
            return;
        }

        // The stored outputs outlive registration (a redelivered Register needs them); RunOutcomeConsumer drops them.
        if (step == TrainingSteps.Register)
        {
            workspace.Release(runId);
        }
        else if (!options.Value.KeepWorkspaceInMemory)
        {
            workspace.Release(runId);
        }

        await runs.EndStepAsync(runId, step, RunStatus.Completed, CancellationToken.None);
        await context.Publish(new TrainingStepCompleted { RunId = runId, Step = step, ArtifactSha256 = artifactSha });
    }

    /// <summary>
    /// Runs the step again while it fails because a dependency does not answer (the registry or features service
    /// restarting, the database or broker down), pausing with a capped doubling backoff, for up to
    /// <see cref="TrainingOptions.DependencyRetryLimit"/>; then the last error fails the run like any other. Every step
    /// can be run again: each reads its inputs and replaces its outputs, and registration is content-addressed.
    /// Measured by the chaos tests: a registry killed during Register failed the run with "Connection refused".
    /// </summary>
    async Task<string?> WhileDependenciesRecoverAsync(Guid runId, string step, Func<Task<string?>> run, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var backoff = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await run();
            }
            catch (Exception e) when (TransientFailure.Is(e, ct) && Stopwatch.GetElapsedTime(started) < options.Value.DependencyRetryLimit)
            {
                TrainingMetrics.DependencyRetries.Add(1, new KeyValuePair<string, object?>("step", step));
                logger.LogWarning("Run {RunId} step {Step}: a dependency did not answer ({Error}); try {Attempt} again in {Backoff}",
                    runId, step, e.Message, attempt + 1, backoff);
                await Task.Delay(backoff, ct);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.Value.DependencyMaxBackoff.Ticks));
            }
        }
    }

    async Task<string> RegisterAsync(ConsumeContext context, StartTrainingRun request, RunWorkspace.Entry work, CancellationToken ct)
    {
        var onnx = work.Onnx ?? (await runs.GetArtifactAsync(request.RunId, "model.onnx", ct))?.Content
            ?? throw new TrainingStepException("the run has no exported model");
        var sha = await artifacts.UploadAsync(onnx, ct);
        var run = await runs.GetAsync(request.RunId, ct) ?? throw new TrainingStepException("the run is not recorded");
        var data = work.Data;
        var ensemble = work.Model is Algorithms.Ensembles.BaggedEnsemble;
        var evaluation = work.Evaluation;
        var subgroups = await runs.GetArtifactAsync(request.RunId, TrainingPipeline.SubgroupsArtifact, ct) is { } stored
            ? TrainingPipeline.ReadSubgroups(stored.Content)
            : null;
        var validation = await runs.GetArtifactAsync(request.RunId, TrainingPipeline.DataValidationArtifact, ct) is { } report
            ? TrainingPipeline.ReadDataValidation(report.Content)
            : null;
        var endpoint = await context.GetSendEndpoint(CommandQueues.AddressOf<RegisterModelVersion>());
        // A queue the broker refuses to declare (e.g. declared with other flags) would make the send wait forever.
        using var sendTimeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        sendTimeout.CancelAfter(TimeSpan.FromMinutes(1));
        await endpoint.Send(new RegisterModelVersion
        {
            ModelName = request.ModelName,
            Version = TrainingPipeline.ModelVersionOf(request),
            ArtifactSha256 = sha,
            Signature = new ModelSignature
            {
                Inputs = (data?.ColumnNames ?? []).Select(n => new FeatureSpec { Name = n, Type = "float32" }).ToArray(),
                Outputs = ensemble
                    ? [new FeatureSpec { Name = OnnxExporter.ProbabilityOutput, Type = "float32", Shape = [-1] }, new FeatureSpec { Name = OnnxExporter.StandardDeviationOutput, Type = "float32", Shape = [-1] }]
                    : [new FeatureSpec { Name = OnnxExporter.ProbabilityOutput, Type = "float32", Shape = [-1] }],
            },
            Metrics = new ModelMetrics
            {
                Overall = run.Metrics,
                Subgroups = subgroups?.Groups.ToDictionary(
                    g => $"{subgroups.Feature}:{g.Key}",
                    g => (IReadOnlyDictionary<string, double>)SubgroupMetricsOf(g.Value)) ?? [],
                Checks = new Dictionary<string, bool> { ["leakage"] = true, ["export_verified"] = true, ["quality_gate"] = true },
                Calibration = evaluation?.Reliability.Where(b => b.Count > 0)
                    .Select(b => new CalibrationBin { MeanPredicted = b.MeanPredicted, ObservedRate = b.ObservedRate, Count = b.Count }).ToArray() ?? [],
            },
            DatasetVersion = request.DatasetVersion,
            FeatureSetVersion = request.FeatureSetVersion,
            TrainingRunId = request.RunId.ToString(),
            CodeVersion = codeVersion.Value,
            RegisteredBy = request.RequestedBy,
            Limitations = ExcludedFeaturesNote(validation),
        }, sendTimeout.Token);
        return sha;
    }

    // The model card shows what the model could not use, so a reader knows which inputs it ignores and why.
    static string? ExcludedFeaturesNote(Pipeline.DataValidationReport? validation) =>
        validation is { ExcludedFeatures.Count: > 0 }
            ? "Excluded features (left out at training): "
              + string.Join("; ", validation.ExcludedFeatures.Select(e => $"{e.Name}: {e.Reason}")) + "."
            : null;

    // Undefined metrics (AUROC of a one-class subgroup) are left out, as in the run's metrics.
    static Dictionary<string, double> SubgroupMetricsOf(Algorithms.Evaluation.EvaluationReport report) => new Dictionary<string, double>
    {
        ["count"] = report.Count,
        ["positives"] = report.Positives,
        ["auroc"] = report.Auroc,
        ["auprc"] = report.Auprc,
        ["log_loss"] = report.LogLoss,
        ["brier"] = report.Brier,
        ["ece"] = report.ExpectedCalibrationError,
    }.Where(m => double.IsFinite(m.Value)).ToDictionary();
}

/// <summary>One step at a time per process: steps are CPU-bound and the learners parallelise internally.</summary>
public sealed class TrainingStepConsumerDefinition : ConsumerDefinition<TrainingStepConsumer>
{
    public TrainingStepConsumerDefinition() => ConcurrentMessageLimit = 1;
}

/// <summary>Stops a run's step in flight when it is cancelled.</summary>
public sealed class CancelRunningStepConsumer(RunWorkspace workspace) : IConsumer<CancelTrainingRun>
{
    public Task Consume(ConsumeContext<CancelTrainingRun> context)
    {
        workspace.Cancel(context.Message.RunId);
        return Task.CompletedTask;
    }
}

/// <summary>Writes a run's outcome into experiment tracking and drops its intermediate outputs.</summary>
public sealed class RunOutcomeConsumer(RunStore runs, WorkspaceStore workspaceStore) :
    IConsumer<TrainingRunCompleted>, IConsumer<TrainingRunFailed>, IConsumer<TrainingRunCancelled>
{
    public async Task Consume(ConsumeContext<TrainingRunCompleted> context)
    {
        await runs.FinishAsync(context.Message.RunId, RunStatus.Completed, null, null, context.CancellationToken);
        TrainingMetrics.RunsEnded.Add(1, new KeyValuePair<string, object?>("status", RunStatus.Completed));
        await workspaceStore.DeleteAsync(context.Message.RunId, context.CancellationToken);
    }

    public async Task Consume(ConsumeContext<TrainingRunFailed> context)
    {
        await runs.FinishAsync(context.Message.RunId, RunStatus.Failed, context.Message.Step, context.Message.Reason, context.CancellationToken);
        TrainingMetrics.RunsEnded.Add(1, new("status", RunStatus.Failed), new("step", context.Message.Step));
        await workspaceStore.DeleteAsync(context.Message.RunId, context.CancellationToken);
    }

    // A run cancelled between steps has no step in flight to clean up after it.
    public async Task Consume(ConsumeContext<TrainingRunCancelled> context)
    {
        await runs.FinishAsync(context.Message.RunId, RunStatus.Cancelled, context.Message.Step, $"cancelled by {context.Message.CancelledBy}", context.CancellationToken);
        TrainingMetrics.RunsEnded.Add(1, new("status", RunStatus.Cancelled), new("step", context.Message.Step));
        await workspaceStore.DeleteAsync(context.Message.RunId, context.CancellationToken);
    }
}
