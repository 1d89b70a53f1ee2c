using Mlops.Contracts.Training;
using Mlops.Training.Tracking;

namespace Mlops.Training.Pipeline;

/// <summary>
/// One step's work around the pipeline: the step's inputs come from the process's workspace or, when it does not
/// hold them (a restart, another replica ran the previous step), from the workspace store; its outputs are stored
/// before the step is reported completed.
/// </summary>
public sealed class TrainingStepRunner(TrainingPipeline pipeline, RunStore runs, WorkspaceStore store, CodeVersion codeVersion)
{
    const string Rows = "rows";
    const string Features = "features";
    const string Data = "training-set";
    const string RulePoints = "rule-points";
    const string Split = "split";
    const string Model = "model";
    const string Evaluation = "evaluation";

    /// <summary>Marks the run at <paramref name="step"/> and loads the step's inputs into <paramref name="work"/>.</summary>
    public async Task PrepareAsync(StartTrainingRun request, string step, RunWorkspace.Entry work, CancellationToken ct)
    {
        if (step == TrainingSteps.ValidateData)
        {
            await runs.CreateAsync(RunRecords.FromRequest(request, codeVersion.Value), ct);
        }

        await runs.SetStepAsync(request.RunId, step, ct);
        await runs.StartStepAsync(request.RunId, step, ct);
        await RestoreAsync(request.RunId, step, work, ct);
    }

    /// <summary>Runs every step but registration (which sends to the registry from the consumer); returns an artifact hash.</summary>
    public async Task<string?> RunAsync(StartTrainingRun request, string step, RunWorkspace.Entry work, CancellationToken ct)
    {
        await PrepareAsync(request, step, work, ct);
        string? artifactSha = null;
        switch (step)
        {
            case TrainingSteps.ValidateData: await pipeline.ValidateDataAsync(request, work, ct); break;
            case TrainingSteps.BuildTrainingSet: await pipeline.BuildTrainingSetAsync(request, work, ct); break;
            case TrainingSteps.Split: await pipeline.SplitAsync(request, work, ct); break;
            case TrainingSteps.Train: await pipeline.TrainAsync(request, work, new TrialRecorder(runs, request, codeVersion.Value), ct); break;
            case TrainingSteps.Evaluate: await pipeline.EvaluateAsync(request, work, ct); break;
            case TrainingSteps.Export: artifactSha = await pipeline.ExportAsync(request, work, ct); break;
            case TrainingSteps.Verify: await pipeline.VerifyAsync(request, work, ct); break;
            default: throw new TrainingStepException($"unknown step '{step}'");
        }

        await store.SaveAsync(request.RunId, step, Outputs(step, work), ct);
        return artifactSha;
    }

    /// <summary>Drops the run's intermediate outputs once it has ended.</summary>
    public Task ForgetAsync(Guid runId, CancellationToken ct) => store.DeleteAsync(runId, ct);

    static Dictionary<string, byte[]> Outputs(string step, RunWorkspace.Entry work) => step switch
    {
        TrainingSteps.ValidateData => new() { [Rows] = WorkspaceCodec.EncodeRows(work.Rows!), [Features] = WorkspaceCodec.EncodeJson(work.Features!) },
        TrainingSteps.BuildTrainingSet => new() { [Data] = WorkspaceCodec.EncodeData(work.Data!), [RulePoints] = WorkspaceCodec.EncodeJson(work.RulePoints!) },
        // The split is a cut in the time-ordered training set: the training part's row count rebuilds both parts.
        TrainingSteps.Split => new() { [Split] = BitConverter.GetBytes(work.TrainSet!.Rows) },
        TrainingSteps.Train => new() { [Model] = WorkspaceCodec.EncodeModel(work.Model!) },
        TrainingSteps.Evaluate => new() { [Evaluation] = WorkspaceCodec.EncodeEvaluation(work.Evaluation!) },
        // Export's output is the model.onnx artifact, already stored in tracking.
        _ => [],
    };

    async Task RestoreAsync(Guid runId, string step, RunWorkspace.Entry work, CancellationToken ct)
    {
        var at = Array.IndexOf(Order, step);
        if (step == TrainingSteps.BuildTrainingSet && work.Rows is null && await store.LoadAsync(runId, Rows, ct) is { } rows)
        {
            work.Rows = WorkspaceCodec.DecodeRows(rows);
        }

        if (step == TrainingSteps.BuildTrainingSet && work.Features is null && await store.LoadAsync(runId, Features, ct) is { } features)
        {
            work.Features = WorkspaceCodec.DecodeJson<string[]>(features);
        }

        if (step == TrainingSteps.Evaluate && work.RulePoints is null && await store.LoadAsync(runId, RulePoints, ct) is { } points)
        {
            work.RulePoints = WorkspaceCodec.DecodeJson<double?[]>(points);
        }

        if (at >= Array.IndexOf(Order, TrainingSteps.Split) && work.Data is null && await store.LoadAsync(runId, Data, ct) is { } data)
        {
            work.Data = WorkspaceCodec.DecodeData(data);
        }

        if (at >= Array.IndexOf(Order, TrainingSteps.Train) && (work.TrainSet is null || work.TestSet is null) && work.Data is not null
            && await store.LoadAsync(runId, Split, ct) is { } split)
        {
            (work.TrainSet, work.TestSet) = TrainingPipeline.SplitAt(work.Data, BitConverter.ToInt32(split));
        }

        if (at >= Array.IndexOf(Order, TrainingSteps.Evaluate) && work.Model is null && await store.LoadAsync(runId, Model, ct) is { } model)
        {
            work.Model = WorkspaceCodec.DecodeModel(model);
        }

        if (at >= Array.IndexOf(Order, TrainingSteps.Verify) && work.Onnx is null && await runs.GetArtifactAsync(runId, "model.onnx", ct) is { } onnx)
        {
            work.Onnx = onnx.Content;
        }

        if (step == TrainingSteps.Register && work.Evaluation is null && await store.LoadAsync(runId, Evaluation, ct) is { } evaluation)
        {
            work.Evaluation = WorkspaceCodec.DecodeEvaluation(evaluation);
        }
    }

    static readonly string[] Order =
    [
        TrainingSteps.ValidateData, TrainingSteps.BuildTrainingSet, TrainingSteps.Split, TrainingSteps.Train,
        TrainingSteps.Evaluate, TrainingSteps.Export, TrainingSteps.Verify, TrainingSteps.Register,
    ];
}
