namespace Mlops.Gateway.Routing;

/// <summary>
/// What the router needs from an inference request's path: the model it is for and, on the entity routes, the entity.
/// </summary>
/// <param name="ModelName">The model named in the path, or the configured default model on the unnamed routes.</param>
/// <param name="PathEntityId">The entity of <c>…/entities/{entityId}/predict</c>.</param>
/// <param name="Protocol">Which body shape carries the entity: the service's own JSON or the Open Inference Protocol's.</param>
public sealed record InferenceRequest(string ModelName, string? PathEntityId, InferenceProtocol Protocol)
{
    /// <summary>
    /// Reads a POST path of the inference API: <c>/api/inference/predict</c>, <c>/api/inference/entities/{id}/predict</c>,
    /// <c>/api/inference/models/{name}/predict</c>, <c>/api/inference/models/{name}/entities/{id}/predict</c> (and the
    /// batch forms), <c>/v2/models/{name}/infer</c> and <c>/v2/models/{name}/versions/{v}/infer</c>. Anything else
    /// (status, metadata, loading a model) is not a prediction and is not assigned a variant.
    /// </summary>
    public static InferenceRequest? TryParse(string method, string? path, string defaultModel)
    {
        if (!HttpMethods.IsPost(method) || string.IsNullOrEmpty(path))
        {
            return null;
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length >= 4 && segments[0] == "v2" && segments[1] == "models" && segments[^1] == "infer"
            && (segments.Length == 4 || (segments.Length == 6 && segments[3] == "versions")))
        {
            return new InferenceRequest(segments[2], null, InferenceProtocol.OpenInference);
        }

        if (segments.Length < 3 || segments[0] != "api" || segments[1] != "inference")
        {
            return null;
        }

        var rest = segments.AsSpan(2);
        var model = defaultModel;
        if (rest.Length >= 3 && rest[0] == "models")
        {
            model = rest[1];
            rest = rest[2..];
        }

        return rest switch
        {
            ["predict"] or ["predict", "batch"] => new InferenceRequest(model, null, InferenceProtocol.Native),
            ["entities", var entity, "predict"] => new InferenceRequest(model, entity, InferenceProtocol.Native),
            _ => null,
        };
    }
}

public enum InferenceProtocol
{
    /// <summary>The service's JSON: the entity in <c>entityId</c>.</summary>
    Native,

    /// <summary>Open Inference Protocol v2: the entity in <c>parameters.entity_id</c>.</summary>
    OpenInference,
}
