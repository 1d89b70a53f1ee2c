namespace Mlops.Gateway.Security;

/// <summary>
/// The roles a key can hold and the authorization policies gateway routes name (<c>AuthorizationPolicy</c> on a
/// <c>ReverseProxy</c> route, <c>RequireAuthorization</c> on the gateway's own endpoints). <see cref="Admin"/> satisfies
/// every policy.
/// </summary>
public static class Roles
{
    public const string Ingest = "ingest";
    public const string Predict = "predict";
    public const string Train = "train";
    public const string Operate = "operate";
    public const string Admin = "admin";

    /// <summary>Every role, in the order documents list them.</summary>
    public static readonly IReadOnlyList<string> All = [Ingest, Predict, Train, Operate, Admin];

    /// <summary>Policy: any valid key (reads).</summary>
    public const string AnyKeyPolicy = "any-key";

    /// <summary>Policy: feature values of entities (patient data) — predict or operate.</summary>
    public const string FeatureReadPolicy = "features-read";

    /// <summary>The policy names a route may carry, with the roles each accepts (empty: any valid key).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Policies = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [AnyKeyPolicy] = [],
        [Ingest] = [Ingest, Admin],
        [Predict] = [Predict, Admin],
        [Train] = [Train, Admin],
        [Operate] = [Operate, Admin],
        [Admin] = [Admin],
        [FeatureReadPolicy] = [Predict, Operate, Admin],
    };
}
