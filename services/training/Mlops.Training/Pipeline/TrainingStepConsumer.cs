using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Registry;
using Mlops.Contracts.Training;
using Mlops.Training.Algorithms;
using Mlops.Training.Algorithms.Export;
using Mlops.Training.Registry;
using Mlops.Training.Tracking;

namespace Mlops.Training.Pipeline;

/// <summary>Runs one step of a run and reports completion or failure to the saga.</summary>
public sealed class TrainingStepConsumer(
    TrainingPipeline pipeline, RunWorkspace workspace, RunStore runs, IModelArtifactSink artifacts, CodeVersion codeVersion,
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
            if (step == TrainingSteps.ValidateData)
            {
                await runs.CreateAsync(RunRecords.FromRequest(request, codeVersion.Value), ct);
            }

            await runs.SetStepAsync(runId, step, ct);
            switch (step)
            {
                case TrainingSteps.ValidateData: await pipeline.ValidateDataAsync(request, work, ct); break;
                case TrainingSteps.BuildTrainingSet: await pipeline.BuildTrainingSetAsync(request, work, ct); break;
                case TrainingSteps.Split: await pipeline.SplitAsync(request, work, ct); break;
                case TrainingSteps.Train: await pipeline.TrainAsync(request, work, new TrialRecorder(runs, request, codeVersion.Value), ct); break;
                case TrainingSteps.Evaluate: await pipeline.EvaluateAsync(request, work, ct); break;
                case TrainingSteps.Export: artifactSha = await pipeline.ExportAsync(request, work, ct); break;
                case TrainingSteps.Verify: await pipeline.VerifyAsync(request, work, ct); break;
                case TrainingSteps.Register: artifactSha = await RegisterAsync(context, request, work, ct); break;
                default: throw new TrainingStepException($"unknown step '{step}'");
            }
        }
        catch (OperationCanceledException) when (work.Cancellation.IsCancellationRequested)
        {
            logger.LogInformation("Run {RunId} cancelled during {Step}", runId, step);
            workspace.Release(runId);
            return;
        }
        catch (Exception e) when (!context.CancellationToken.IsCancellationRequested)
        {
            // Data and model problems do not heal on retry: the run fails at this step with the reason.
            logger.LogWarning(e, "Run {RunId} failed at {Step}", runId, step);
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            workspace.Release(runId);
            var reason = e is TrainingStepException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            await context.Publish(new TrainingStepFailed { RunId = runId, Step = step, Reason = reason });
            return;
        }

        if (step == TrainingSteps.Register)
        {
            workspace.Release(runId);
        }

        await context.Publish(new TrainingStepCompleted { RunId = runId, Step = step, ArtifactSha256 = artifactSha });
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
        var endpoint = await context.GetSendEndpoint(new Uri(options.Value.RegistryAddress));
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
                Checks = new Dictionary<string, bool> { ["leakage"] = true, ["export_verified"] = true },
                Calibration = evaluation?.Reliability.Where(b => b.Count > 0)
                    .Select(b => new CalibrationBin { MeanPredicted = b.MeanPredicted, ObservedRate = b.ObservedRate, Count = b.Count }).ToArray() ?? [],
            },
            DatasetVersion = request.DatasetVersion,
            FeatureSetVersion = request.FeatureSetVersion,
            TrainingRunId = request.RunId.ToString(),
            CodeVersion = codeVersion.Value,
            RegisteredBy = request.RequestedBy,
        }, sendTimeout.Token);
        return sha;
    }
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

/// <summary>Writes a run's outcome into experiment tracking.</summary>
public sealed class RunOutcomeConsumer(RunStore runs) :
    IConsumer<TrainingRunCompleted>, IConsumer<TrainingRunFailed>, IConsumer<TrainingRunCancelled>
{
    public Task Consume(ConsumeContext<TrainingRunCompleted> context) =>
        runs.FinishAsync(context.Message.RunId, RunStatus.Completed, null, null, context.CancellationToken);

    public Task Consume(ConsumeContext<TrainingRunFailed> context) =>
        runs.FinishAsync(context.Message.RunId, RunStatus.Failed, context.Message.Step, context.Message.Reason, context.CancellationToken);

    public Task Consume(ConsumeContext<TrainingRunCancelled> context) =>
        runs.FinishAsync(context.Message.RunId, RunStatus.Cancelled, context.Message.Step, $"cancelled by {context.Message.CancelledBy}", context.CancellationToken);
}
