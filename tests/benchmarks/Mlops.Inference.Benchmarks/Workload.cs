using System.Text.Json;

namespace Mlops.Inference.Benchmarks;

/// <summary>Vitals rows for the deterioration ensemble (5 features), varied so no cache could help.</summary>
internal static class Workload
{
    public const int FeatureCount = 5;

    public static float[] Rows(int count)
    {
        var random = new Random(7);
        var rows = new float[count * FeatureCount];
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

    public static string InlineRequestJson(int seed)
    {
        var row = Rows(seed % 97 + 1).AsSpan((seed % 97) * FeatureCount, FeatureCount);
        return JsonSerializer.Serialize(new
        {
            features = new Dictionary<string, float>
            {
                ["heart_rate"] = row[0],
                ["respiratory_rate"] = row[1],
                ["spo2"] = row[2],
                ["temperature"] = row[3],
                ["systolic_bp"] = row[4],
            },
        });
    }
}
