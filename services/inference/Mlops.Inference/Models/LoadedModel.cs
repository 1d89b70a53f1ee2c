using System.Buffers;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Mlops.Contracts.Models;

namespace Mlops.Inference.Models;

/// <summary>
/// A warm session for one model version. Requests lease it; once retired by a hot swap it is disposed when the
/// last lease ends, so no in-flight request ever sees a released session.
/// </summary>
public sealed class LoadedModel
{
    /// <summary>Optional output of the test ensembles: every member's probability [N, M], used for contributions.</summary>
    public const string MembersOutputName = "members";

    // Shapes are cached per row count so a run does not allocate them; batches larger than this get a fresh array.
    const int CachedShapes = 1025;

    readonly InferenceSession _session;
    readonly RunOptions _runOptions = new();
    readonly string[] _inputNames = [ModelOutputNames.Features];
    readonly string[] _outputNames;
    readonly long[]?[] _inputShapes = new long[CachedShapes][];
    readonly long[]?[] _rowShapes = new long[CachedShapes][];
    readonly long[]?[] _probabilityShapes = new long[CachedShapes][];
    readonly int _probabilityWidth;
    readonly bool _probabilityIsMatrix;
    int _leases;
    int _retired;

    public LoadedModel(ModelDeployment deployment, InferenceSession session, ExecutionProvider provider = ExecutionProvider.Cpu, TreeEnsembleAttribution? trees = null)
    {
        Deployment = deployment;
        _session = session;
        ExecutionProvider = provider;
        Trees = trees;
        var name = $"{deployment.Name} {deployment.Version}";
        if (!session.InputMetadata.TryGetValue(ModelOutputNames.Features, out var input))
        {
            throw new InvalidOperationException($"Model {name} has no input '{ModelOutputNames.Features}'; it has {string.Join(", ", session.InputMetadata.Keys)}.");
        }

        if (input.ElementType != typeof(float) || input.Dimensions.Length != 2 || (input.Dimensions[1] > 0 && input.Dimensions[1] != deployment.Features.Count))
        {
            throw new InvalidOperationException(
                $"Model {name} input '{ModelOutputNames.Features}' is {input.ElementType.Name}[{string.Join(", ", input.Dimensions)}]; {deployment.Features.Count} float features per row were expected.");
        }

        if (!session.OutputMetadata.TryGetValue(ModelOutputNames.Probability, out var probability) || probability.ElementType != typeof(float))
        {
            throw new InvalidOperationException($"Model {name} has no float output '{ModelOutputNames.Probability}'; it has {string.Join(", ", session.OutputMetadata.Keys)}.");
        }

        // [N] or [N, 1]: one probability per row; [N, M]: ensemble members whose mean and spread are taken here.
        var dims = probability.Dimensions;
        if (dims.Length is < 1 or > 2 || (dims.Length == 2 && dims[1] <= 0))
        {
            throw new InvalidOperationException($"Model {name} output '{ModelOutputNames.Probability}' has shape [{string.Join(", ", dims)}]; [N], [N, 1] or [N, members] was expected.");
        }

        _probabilityWidth = dims.Length == 2 ? dims[1] : 1;
        _probabilityIsMatrix = dims.Length == 2;
        HasUncertainty = session.OutputMetadata.TryGetValue(ModelOutputNames.Uncertainty, out var std) && std.ElementType == typeof(float) && std.Dimensions.Length == 1;
        _outputNames = HasUncertainty ? [ModelOutputNames.Probability, ModelOutputNames.Uncertainty] : [ModelOutputNames.Probability];
        MembersOutput = session.OutputMetadata.ContainsKey(MembersOutputName) ? MembersOutputName : ModelOutputNames.Probability;
        AcceptsMissing = session.ModelMetadata.CustomMetadataMap.TryGetValue(ModelOutputNames.MissingValuesMetadataKey, out var missing)
            && missing == ModelOutputNames.MissingAsNaN;
        Inputs = session.InputMetadata.Select(i => new TensorDescription(i.Key, i.Value.Dimensions)).ToList();
        Outputs = session.OutputMetadata.Select(o => new TensorDescription(o.Key, o.Value.Dimensions)).ToList();
    }

    public ModelDeployment Deployment { get; }

    public IReadOnlyList<string> Features => Deployment.Features;

    /// <summary>The exporter declared that NaN means "missing" to this graph, so a null feature is scored, not refused.</summary>
    public bool AcceptsMissing { get; }

    /// <summary>The model's trees when its log-odds come from one tree ensemble (contributions by path attribution).</summary>
    public TreeEnsembleAttribution? Trees { get; }

    /// <summary>Where the session runs (CPU when CUDA was asked for but could not be loaded).</summary>
    public ExecutionProvider ExecutionProvider { get; }

    /// <summary>Whether the graph computes the ensemble spread itself (<see cref="ModelOutputNames.Uncertainty"/>).</summary>
    public bool HasUncertainty { get; }

    /// <summary>The graph's inputs (name and shape, -1 for a dynamic dimension).</summary>
    public IReadOnlyList<TensorDescription> Inputs { get; }

    /// <summary>The graph's outputs.</summary>
    public IReadOnlyList<TensorDescription> Outputs { get; }

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

    /// <summary>
    /// Scores <paramref name="rows"/> (row-major, one row per prediction) into the two spans. The input tensor is the
    /// caller's memory, pinned; the outputs are written by ONNX Runtime straight into a pooled buffer, so a run makes
    /// no native allocation and copies no data (only the small OrtValue wrappers are created per call).
    /// </summary>
    public void Score(ReadOnlyMemory<float> rows, int count, Span<double> probability, Span<double> uncertainty)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _leases) < 0, this);
        var width = Features.Count;
        if (rows.Length < count * width)
        {
            throw new ArgumentException($"{rows.Length} values cannot hold {count} rows of {width} features.", nameof(rows));
        }

        var probabilityLength = count * _probabilityWidth;
        var buffer = ArrayPool<float>.Shared.Rent(probabilityLength + count);
        try
        {
            var memory = OrtMemoryInfo.DefaultInstance;
            using var input = OrtValue.CreateTensorValueFromMemory(memory, MemoryMarshal.AsMemory(rows[..(count * width)]), Shape(_inputShapes, count, width));
            using var probabilities = OrtValue.CreateTensorValueFromMemory(
                memory, buffer.AsMemory(0, probabilityLength), _probabilityIsMatrix ? Shape(_probabilityShapes, count, _probabilityWidth) : Shape(_rowShapes, count, 0));
            if (HasUncertainty)
            {
                using var spread = OrtValue.CreateTensorValueFromMemory(memory, buffer.AsMemory(probabilityLength, count), Shape(_rowShapes, count, 0));
                _session.Run(_runOptions, _inputNames, [input], _outputNames, [probabilities, spread]);
            }
            else
            {
                _session.Run(_runOptions, _inputNames, [input], _outputNames, [probabilities]);
            }

            Summarise(buffer.AsSpan(0, probabilityLength), HasUncertainty ? buffer.AsSpan(probabilityLength, count) : default, count, probability, uncertainty);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    /// <summary>Log-odds of every ensemble member for each row ([rows, members]); a single model is one member.</summary>
    public double[,] MemberLogOdds(float[] rows, int count)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _leases) < 0, this);
        using var input = OrtValue.CreateTensorValueFromMemory(rows, [count, Features.Count]);
        using var results = _session.Run(_runOptions, _inputNames, [input], [MembersOutput]);
        var values = results[0].GetTensorDataAsSpan<float>();
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

    void Summarise(ReadOnlySpan<float> values, ReadOnlySpan<float> std, int count, Span<double> probability, Span<double> uncertainty)
    {
        var width = _probabilityWidth;
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

    // columns 0: the one-dimensional shape [count].
    static long[] Shape(long[]?[] cache, int count, int columns)
    {
        if (count >= cache.Length)
        {
            return columns == 0 ? [count] : [count, columns];
        }

        return cache[count] ??= columns == 0 ? [count] : [count, columns];
    }

    void DisposeIfIdle()
    {
        if (Interlocked.CompareExchange(ref _leases, -1, 0) == 0)
        {
            _session.Dispose();
            _runOptions.Dispose();
        }
    }
}

/// <summary>A graph input or output: its name and shape (-1 for a dynamic dimension).</summary>
public sealed record TensorDescription(string Name, IReadOnlyList<int> Shape);
