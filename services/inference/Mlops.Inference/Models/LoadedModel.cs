using Mlops.OnnxRuntime;

namespace Mlops.Inference.Models;

/// <summary>
/// A warm session for one model version. Requests lease it; once retired by a hot swap it is disposed when the
/// last lease ends, so no in-flight request ever sees a released session.
/// </summary>
public sealed class LoadedModel
{
    readonly InferenceSession _session;
    int _leases;
    int _retired;

    public LoadedModel(ModelDeployment deployment, InferenceSession session, TreeEnsembleAttribution? trees = null)
    {
        Deployment = deployment;
        _session = session;
        Trees = trees;
        var input = session.Inputs.FirstOrDefault(i => i.Name == deployment.InputName)
            ?? throw new InvalidOperationException($"Model {deployment.Name} {deployment.Version} has no input '{deployment.InputName}'; it has {string.Join(", ", session.Inputs)}.");
        if (input.Shape.Count != 2 || (input.Shape[1] > 0 && input.Shape[1] != deployment.Features.Count))
        {
            throw new InvalidOperationException($"Model input {input} does not take {deployment.Features.Count} features per row.");
        }

        if (session.Outputs.All(o => o.Name != deployment.ProbabilityOutput))
        {
            throw new InvalidOperationException($"Model {deployment.Name} {deployment.Version} has no output '{deployment.ProbabilityOutput}'.");
        }

        UncertaintyOutput = deployment.UncertaintyOutput is { } u && session.Outputs.Any(o => o.Name == u) ? u : null;
        MembersOutput = deployment.MembersOutput is { } m && session.Outputs.Any(o => o.Name == m) ? m : deployment.ProbabilityOutput;
    }

    public ModelDeployment Deployment { get; }

    public IReadOnlyList<string> Features => Deployment.Features;

    /// <summary>The model's trees when its log-odds come from one tree ensemble (contributions by path attribution).</summary>
    public TreeEnsembleAttribution? Trees { get; }

    public ExecutionProvider ExecutionProvider => _session.ExecutionProvider;

    string? UncertaintyOutput { get; }

    string MembersOutput { get; }

    /// <summary>Takes a lease; false when the model was retired and its last lease already ended.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var leases = Volatile.Read(ref _leases);
            if (leases < 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _leases, leases + 1, leases) == leases)
            {
                return true;
            }
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0 && Volatile.Read(ref _retired) == 1)
        {
            DisposeIfIdle();
        }
    }

    /// <summary>Marks the model replaced; the session goes once no request holds it.</summary>
    public void Retire()
    {
        Volatile.Write(ref _retired, 1);
        DisposeIfIdle();
    }

    /// <summary>Scores <paramref name="rows"/> (row-major, one row per prediction) into the two spans.</summary>
    public void Score(ReadOnlyMemory<float> rows, int count, Span<double> probability, Span<double> uncertainty)
    {
        using var result = _session.Run(Deployment.InputName, rows, [count, Features.Count]);
        var shape = result.GetShape(Deployment.ProbabilityOutput);
        var values = result.GetFloats(Deployment.ProbabilityOutput);
        var width = shape.Length == 2 ? (int)shape[1] : 1;
        if (values.Length != count * width)
        {
            throw new InvalidOperationException($"Output '{Deployment.ProbabilityOutput}' has shape [{string.Join(", ", shape)}] for {count} rows.");
        }

        var std = UncertaintyOutput is null ? default : result.GetFloats(UncertaintyOutput);
        for (var r = 0; r < count; r++)
        {
            var members = values.Slice(r * width, width);
            double mean = 0;
            foreach (var m in members)
            {
                mean += m;
            }

            mean /= width;
            probability[r] = mean;
            if (!std.IsEmpty)
            {
                uncertainty[r] = std[r];
            }
            else
            {
                double variance = 0;
                foreach (var m in members)
                {
                    variance += (m - mean) * (m - mean);
                }

                uncertainty[r] = Math.Sqrt(variance / width);
            }
        }
    }

    /// <summary>Log-odds of every ensemble member for each row ([rows, members]); a single model is one member.</summary>
    public double[,] MemberLogOdds(float[] rows, int count)
    {
        using var result = _session.Run([new OnnxRuntime.TensorInput(Deployment.InputName, rows, [count, Features.Count])], [MembersOutput]);
        var values = result.GetFloats(0);
        var members = values.Length / count;
        var logits = new double[count, members];
        for (var r = 0; r < count; r++)
        {
            for (var m = 0; m < members; m++)
            {
                // Clamped so a saturated member (p = 0 or 1 in float) gives a large finite log-odds, not infinity.
                var p = Math.Clamp(values[(r * members) + m], 1e-7, 1 - 1e-7);
                logits[r, m] = Math.Log(p / (1 - p));
            }
        }

        return logits;
    }

    void DisposeIfIdle()
    {
        if (Interlocked.CompareExchange(ref _leases, -1, 0) == 0)
        {
            _session.Dispose();
        }
    }
}
