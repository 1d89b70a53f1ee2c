using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;
using Mlops.Features.Storage;

namespace Mlops.Features.Api;

/// <summary>
/// An online vector's JSON, serialized once per cached vector and written as bytes on every later read of it. The
/// online read is the hot path: a vector with its lineage is ~7 KB of JSON, and serializing it on every read showed as
/// the gap to a trivial endpoint serving the same bytes (and as allocation the GC paid for in the read's p99). The
/// bytes live exactly as long as the cached vector instance they were made from, so a newer vector is serialized anew.
/// </summary>
public sealed class OnlineVectorJson(IOptions<JsonOptions> json)
{
    readonly ConditionalWeakTable<StoredVector, byte[]> _serialized = [];

    /// <summary>The result that writes <paramref name="vector"/> as the API's JSON (the options every other answer uses).</summary>
    public Result Of(StoredVector vector) =>
        new(_serialized.GetValue(vector, v => JsonSerializer.SerializeToUtf8Bytes(v, json.Value.SerializerOptions)));

    /// <summary>200 with the vector's JSON; described in OpenAPI as a <see cref="StoredVector"/>, as <c>Ok&lt;StoredVector&gt;</c> was.</summary>
    public sealed class Result(byte[] utf8Json) : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IContentTypeHttpResult
    {
        public int? StatusCode => StatusCodes.Status200OK;

        public string ContentType => "application/json; charset=utf-8";

        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status200OK;
            httpContext.Response.ContentType = ContentType;
            httpContext.Response.ContentLength = utf8Json.Length;
            return httpContext.Response.Body.WriteAsync(utf8Json).AsTask();
        }

        public static void PopulateMetadata(System.Reflection.MethodInfo method, EndpointBuilder builder) =>
            builder.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, typeof(StoredVector), ["application/json"]));
    }
}
