using System.Text.Json;

namespace Mlops.Inference.Benchmarks;

/// <summary>
/// Feature rows for one model, in the model's input order, and the same rows as inline prediction requests by feature
/// name. Requests cycle through <see cref="Pool"/> rows, varied so no cache could help.
/// </summary>
internal sealed class Workload
{
    readonly float[] _pool;

    public Workload(IReadOnlyList<string> features, float[] pool)
    {
        if (features.Count == 0 || pool.Length == 0 || pool.Length % features.Count != 0)
        {
            throw new ArgumentException("The pool must hold whole rows of the model's features.", nameof(pool));
        }

        Features = features;
        _pool = pool;
    }

    /// <summary>Vitals rows for the 5-input test ensemble (<c>tests/models/deterioration_ensemble_v1.onnx</c>).</summary>
    public static Workload Vitals { get; } = new(["heart_rate", "respiratory_rate", "spo2", "temperature", "systolic_bp"], VitalsRows(97));

    /// <summary>The model's input names, in column order.</summary>
    public IReadOnlyList<string> Features { get; }

    public int FeatureCount => Features.Count;

    /// <summary>How many distinct rows requests cycle through.</summary>
    public int Pool => _pool.Length / FeatureCount;

    /// <summary><paramref name="count"/> rows, row-major, taken from the pool in order (wrapping round).</summary>
    public float[] Rows(int count)
    {
        var rows = new float[count * FeatureCount];
        for (var r = 0; r < count; r++)
        {
            Row(r).CopyTo(rows.AsSpan(r * FeatureCount, FeatureCount));
        }

        return rows;
    }

    /// <summary>Fills <paramref name="destination"/> with whole rows from pool row <paramref name="first"/> on; returns the row after them.</summary>
    public int CopyRows(int first, Span<float> destination)
    {
        var count = destination.Length / FeatureCount;
        for (var r = 0; r < count; r++)
        {
            Row(first + r).CopyTo(destination.Slice(r * FeatureCount, FeatureCount));
        }

        return (first + count) % Pool;
    }

    public ReadOnlySpan<float> Row(int seed) => _pool.AsSpan(seed % Pool * FeatureCount, FeatureCount);

    /// <summary>
    /// A <c>POST /api/inference/predict</c> body: every feature by name; a missing value (NaN in the rows) is sent as
    /// null, as the features service reports a value it could not compute.
    /// </summary>
    public string InlineRequestJson(int seed)
    {
        var row = Row(seed);
        var features = new Dictionary<string, float?>(FeatureCount);
        for (var i = 0; i < FeatureCount; i++)
        {
            features[Features[i]] = float.IsNaN(row[i]) ? null : row[i];
        }

        return JsonSerializer.Serialize(new { features });
    }

    static float[] VitalsRows(int count)
    {
        var random = new Random(7);
        var rows = new float[count * 5];
        for (var r = 0; r < count; r++)
        {
            rows[(r * 5) + 0] = 60 + (float)(random.NextDouble() * 70);
            rows[(r * 5) + 1] = 10 + (float)(random.NextDouble() * 20);
            rows[(r * 5) + 2] = 85 + (float)(random.NextDouble() * 15);
            rows[(r * 5) + 3] = 35.5f + (float)(random.NextDouble() * 4);
            rows[(r * 5) + 4] = 80 + (float)(random.NextDouble() * 80);
        }

        return rows;
    }
}
