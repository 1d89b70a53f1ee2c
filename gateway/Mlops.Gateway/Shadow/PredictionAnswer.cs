using System.Text.Json;

namespace Mlops.Gateway.Shadow;

/// <summary>The probabilities and model version in an inference answer, whichever API gave it.</summary>
public sealed record PredictionAnswer(IReadOnlyList<double> Probabilities, string? ModelVersion)
{
    /// <summary>
    /// Reads the service's JSON (<c>probability</c>, <c>modelVersion</c>; a batch's <c>items[].prediction</c>, a failed
    /// item counting as NaN so rows stay paired) or the Open Inference Protocol's (<c>outputs[name=probability].data</c>,
    /// <c>model_version</c>). Null when the answer is not such JSON.
    /// </summary>
    public static PredictionAnswer? Parse(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty)
        {
            return null;
        }

        try
        {
            var reader = new Utf8JsonReader(json);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (root.TryGetProperty("probability", out var single) && single.ValueKind == JsonValueKind.Number)
            {
                return new PredictionAnswer([single.GetDouble()], Text(root, "modelVersion"));
            }

            if (root.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array)
            {
                var probabilities = new List<double>();
                string? version = null;
                foreach (var item in items.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("prediction", out var prediction) && prediction.ValueKind == JsonValueKind.Object
                        && prediction.TryGetProperty("probability", out var p) && p.ValueKind == JsonValueKind.Number)
                    {
                        probabilities.Add(p.GetDouble());
                        version ??= Text(prediction, "modelVersion");
                    }
                    else
                    {
                        probabilities.Add(double.NaN);
                    }
                }

                return new PredictionAnswer(probabilities, version);
            }

            if (root.TryGetProperty("outputs", out var outputs) && outputs.ValueKind == JsonValueKind.Array)
            {
                foreach (var output in outputs.EnumerateArray())
                {
                    if (output.ValueKind == JsonValueKind.Object && Text(output, "name") == "probability"
                        && output.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
                    {
                        return new PredictionAnswer([.. data.EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Number ? d.GetDouble() : double.NaN)], Text(root, "model_version"));
                    }
                }
            }

            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
