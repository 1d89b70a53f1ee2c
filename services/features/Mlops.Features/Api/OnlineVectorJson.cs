using Microsoft.AspNetCore.Http.Metadata;
using Mlops.Features.Storage;

namespace Mlops.Features.Api;

/// <summary>
/// 200 with an online vector's JSON as the cache holds it (<see cref="OnlineFeatureCache.GetJsonAsync"/>): serialized
/// once when read from PostgreSQL, written as bytes on every read that hits. The online read is the hot path, and
/// serializing a vector with its lineage on every read showed as the gap to a trivial endpoint serving the same bytes
/// (and as allocation the GC paid for in the read's p99). Described in OpenAPI as a <see cref="StoredVector"/>.
/// </summary>
public sealed class OnlineVectorJson(byte[] utf8Json) : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IContentTypeHttpResult
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
