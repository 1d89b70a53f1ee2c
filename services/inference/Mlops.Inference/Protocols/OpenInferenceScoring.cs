using Microsoft.Extensions.Diagnostics.HealthChecks;
using Mlops.Contracts.Models;
using Mlops.Inference.Api;
using Mlops.Inference.Lineage;
using Mlops.Inference.Models;
using Mlops.Inference.Scoring;
using Mlops.ServiceDefaults.Health;
using Mlops.ServiceDefaults.Http;

namespace Mlops.Inference.Protocols;

/// <summary>
/// The Open Inference Protocol's semantics, shared by its REST (<see cref="OpenInferenceApi"/>) and gRPC
/// (<see cref="OpenInferenceGrpcService"/>) transports: which model answers, what a valid request is, scoring through
/// the <see cref="Predictor"/> and logging every prediction. A transport only reads its wire format into
/// <see cref="OipInputTensor"/> headers and values, and writes the outcome or the <see cref="OipProblem"/> back — so
/// both answer the same rows with the same numbers and refuse the same input with the same words.
/// </summary>
public static class OpenInferenceScoring
{
    public const string Fp32 = "FP32";

    /// <summary>Outputs are computed in double precision (ensemble mean and spread), so they are declared FP64.</summary>
    public const string Fp64 = "FP64";

    /// <summary>The platform the model metadata names.</summary>
    public const string Platform = "onnxruntime";

    static readonly string[] AllOutputs = [ModelOutputNames.Probability, ModelOutputNames.Uncertainty];

    /// <summary>Whether this pod's readiness checks pass (the protocol's server readiness).</summary>
    public static async Task<bool> ServerReadyAsync(HealthCheckService health, CancellationToken cancellationToken)
    {
        var report = await health.CheckHealthAsync(c => c.Tags.Contains(HealthTags.Ready), cancellationToken);
        return report.Status != HealthStatus.Unhealthy;
    }

    /// <summary>
    /// Whether <paramref name="name"/> (at <paramref name="version"/> when one is named) can answer now; a problem
    /// when this pod does not serve it at all.
    /// </summary>
    public static OipProblem? ModelReady(ModelCatalog catalog, string name, string? version, out bool ready)
    {
        ready = false;
        if (!catalog.TryGet(name, out var host))
        {
            return NotServed(name);
        }

        ready = host.Current is { } current && (string.IsNullOrEmpty(version) || current.Version == version);
        return null;
    }

    /// <summary>The model's metadata: its input <c>features</c> [-1, d] and outputs, or why there is none.</summary>
    public static OipProblem? Metadata(ModelCatalog catalog, string name, string? version, out OipModelMetadata? metadata)
    {
        metadata = null;
        if (!catalog.TryGet(name, out var host) || host.Lease() is not { } model)
        {
            return NotServed(name);
        }

        try
        {
            if (VersionProblem(name, version, model.Deployment.Version) is { } wrongVersion)
            {
                return wrongVersion;
            }

            metadata = new OipModelMetadata(
                name,
                [model.Deployment.Version],
                Platform,
                [new OipTensorMetadata(ModelOutputNames.Features, Fp32, [-1, model.Features.Count])],
                [new OipTensorMetadata(ModelOutputNames.Probability, Fp64, [-1]), new OipTensorMetadata(ModelOutputNames.Uncertainty, Fp64, [-1])]);
            return null;
        }
        finally
        {
            model.Release();
        }
    }

    /// <summary>
    /// Scores one inference request: the variant the request names, else the champion, of its model;
    /// <paramref name="readValues"/> reads the values of the input at the given index (after its name, datatype and
    /// shape were checked here) or says why they cannot be read. Every prediction goes to the
    /// prediction log with <paramref name="source"/>.
    /// </summary>
    public static async Task<OipScored> ScoreAsync(
        OipScoringRequest request, ReadValues readValues, ModelCatalog catalog, Predictor predictor, PredictionLog log, string source,
        CancellationToken cancellationToken)
    {
        var name = request.ModelName;
        if ((Problem("model name", name) ?? (request.Id is null ? null : Problem("id", request.Id))) is { } invalidName)
        {
            return OipScored.Failed(OipProblem.Invalid(invalidName));
        }

        var choice = InferenceApi.Choose(catalog, name, request.Variant, null);
        if (choice.Problem is { } problem)
        {
            // A malformed variant is a validation problem: its words are in the errors, not the detail.
            var message = problem.ProblemDetails is HttpValidationProblemDetails { Errors.Count: > 0 } validation
                ? $"{validation.Title}: {string.Join("; ", validation.Errors.Select(e => $"{e.Key} {string.Join(" ", e.Value)}"))}"
                : problem.ProblemDetails.Detail ?? problem.ProblemDetails.Title ?? "Not served.";
            return OipScored.Failed(problem.StatusCode switch
            {
                StatusCodes.Status400BadRequest => OipProblem.Invalid(message),
                StatusCodes.Status409Conflict => new OipProblem(OipProblemKind.Conflict, message),
                _ => new OipProblem(OipProblemKind.NotFound, message),
            });
        }

        var host = choice.Host!;
        if (host.Current is not { } deployment)
        {
            return OipScored.Failed(NotServed(name));
        }

        if (VersionProblem(name, request.ModelVersion, deployment.Version) is { } wrongVersion)
        {
            return OipScored.Failed(wrongVersion);
        }

        if (Rows(request.Inputs, deployment.Features.Count, readValues, out var rows) is { } invalid)
        {
            return OipScored.Failed(OipProblem.Invalid(invalid));
        }

        if (request.Outputs?.Any(o => o is null) == true)
        {
            return OipScored.Failed(OipProblem.Invalid("'outputs' must not hold null entries."));
        }

        IReadOnlyList<string> wanted = request.Outputs is { Count: > 0 } named ? [.. named.Select(o => o ?? "")] : AllOutputs;
        if (wanted.FirstOrDefault(o => o is not (ModelOutputNames.Probability or ModelOutputNames.Uncertainty)) is { } unknown)
        {
            return OipScored.Failed(OipProblem.Invalid($"Unknown output '{unknown}'; model '{name}' has outputs '{ModelOutputNames.Probability}' and '{ModelOutputNames.Uncertainty}'."));
        }

        PredictionResult[] results;
        try
        {
            // Issued together so the dynamic batcher runs the rows as one batch.
            results = await Task.WhenAll(rows.Select(row => predictor.PredictAsync(host, Named(deployment.Features, row), cancellationToken)));
        }
        catch (FeatureValidationException ex)
        {
            return OipScored.Failed(OipProblem.Invalid($"Input '{ModelOutputNames.Features}' cannot be scored: {ex.Message}."));
        }
        catch (ModelNotServedException)
        {
            return OipScored.Failed(NotServed(name));
        }

        await Task.WhenAll(results.Select(result => log.RecordAsync(result, null, null, source).AsTask()));

        return new OipScored(null, results, wanted);
    }

    /// <summary>Reads the values of input <c>index</c> (row-major) into <c>values</c>; null, or why they cannot be read.</summary>
    public delegate string? ReadValues(int index, OipInputTensor input, List<double> values);

    /// <summary>The request's rows, or why it cannot be read (naming the field, as the protocol's errors do).</summary>
    static string? Rows(IReadOnlyList<OipInputTensor?>? inputs, int width, ReadValues readValues, out List<double[]> rows)
    {
        rows = [];
        if (inputs is not { Count: > 0 })
        {
            return $"'inputs' is required: one tensor '{ModelOutputNames.Features}'.";
        }

        if (inputs.Any(i => i is null))
        {
            return "'inputs' must not hold null entries.";
        }

        var index = -1;
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i]!.Name == ModelOutputNames.Features)
            {
                index = i;
                break;
            }
        }

        if (index < 0 || inputs.Count != 1)
        {
            return $"Expected exactly one input, whose name is '{ModelOutputNames.Features}'; got inputs named {string.Join(", ", inputs.Select(i => $"'{i!.Name}'"))}.";
        }

        var input = inputs[index]!;
        if (input.Datatype is not (Fp32 or Fp64))
        {
            return $"Input '{input.Name}' datatype must be {Fp32} or {Fp64}, not '{input.Datatype}'.";
        }

        if (input.Shape is not { Count: 2 } shape || shape[0] < 1 || shape[1] != width)
        {
            return $"Input '{input.Name}' shape must be [N, {width}] with N >= 1, not [{string.Join(", ", input.Shape ?? [])}].";
        }

        var values = new List<double>();
        if (readValues(index, input, values) is { } unreadable)
        {
            return unreadable;
        }

        if (values.Count != shape[0] * width)
        {
            return $"Input '{input.Name}' data has {values.Count} values; shape [{shape[0]}, {width}] needs {shape[0] * width}.";
        }

        for (var r = 0; r < shape[0]; r++)
        {
            rows.Add(values.GetRange(r * width, width).ToArray());
        }

        return null;
    }

    /// <summary>The message for values that are not finite numbers (a transport's reader uses it so both say the same).</summary>
    public static string NotFinite(OipInputTensor input) =>
        $"Input '{input.Name}' data must be finite numbers (flat or nested arrays, row-major).";

    static Dictionary<string, double?> Named(IReadOnlyList<string> features, double[] row)
    {
        var named = new Dictionary<string, double?>(features.Count, StringComparer.Ordinal);
        for (var i = 0; i < features.Count; i++)
        {
            named[features[i]] = row[i];
        }

        return named;
    }

    static string? Problem(string field, string value) =>
        value.Length > InputText.MaxIdentifierLength
            ? $"{field} is {value.Length} characters long; at most {InputText.MaxIdentifierLength} are allowed."
            : InputText.IdentifierProblem(field, value);

    static OipProblem? VersionProblem(string name, string? asked, string served) =>
        string.IsNullOrEmpty(asked) || asked == served
            ? null
            : new OipProblem(OipProblemKind.NotFound, $"Version '{asked}' of model '{name}' is not served by this pod; it serves version '{served}'.");

    static OipProblem NotServed(string name) =>
        new(OipProblemKind.NotFound, $"Model '{name}' is not served by this pod (not deployed in the registry, not loaded yet, or not in Inference:Models).");
}

/// <summary>One inference request as either transport read it.</summary>
public sealed record OipScoringRequest
{
    public required string ModelName { get; init; }

    /// <summary>The version the caller asks for (gRPC's optional <c>model_version</c>); null or empty for whichever answers.</summary>
    public string? ModelVersion { get; init; }

    public string? Id { get; init; }

    /// <summary>The variant the caller names (<c>X-Model-Variant</c>), else null for the champion.</summary>
    public string? Variant { get; init; }

    public IReadOnlyList<OipInputTensor?>? Inputs { get; init; }

    /// <summary>The outputs asked for by name (null entries are refused); null or empty for all.</summary>
    public IReadOnlyList<string?>? Outputs { get; init; }
}

/// <summary>An input tensor's header; its values are read by the transport once the header is valid.</summary>
public sealed record OipInputTensor(string? Name, string? Datatype, IReadOnlyList<long>? Shape);

/// <summary>What kind of wrong a request is, which each transport maps to its own status.</summary>
public enum OipProblemKind
{
    /// <summary>The request itself is malformed (REST 400, gRPC INVALID_ARGUMENT).</summary>
    InvalidArgument,

    /// <summary>The model, version or variant is not served here (REST 404, gRPC NOT_FOUND).</summary>
    NotFound,

    /// <summary>Another pod's variant serves this request (REST 409, gRPC FAILED_PRECONDITION).</summary>
    Conflict,
}

/// <summary>Why a request cannot be answered, in words naming what is wrong.</summary>
public sealed record OipProblem(OipProblemKind Kind, string Message)
{
    public static OipProblem Invalid(string message) => new(OipProblemKind.InvalidArgument, message);
}

/// <summary>The outcome of <see cref="OpenInferenceScoring.ScoreAsync"/>: the predictions per row and outputs asked for, or the problem.</summary>
public sealed record OipScored(OipProblem? Problem, IReadOnlyList<PredictionResult> Results, IReadOnlyList<string> Outputs)
{
    public static OipScored Failed(OipProblem problem) => new(problem, [], []);

    /// <summary>The output's values, one per row.</summary>
    public double[] Values(string output)
    {
        var values = new double[Results.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = output == ModelOutputNames.Probability ? Results[i].Probability : Results[i].Uncertainty;
        }

        return values;
    }
}
