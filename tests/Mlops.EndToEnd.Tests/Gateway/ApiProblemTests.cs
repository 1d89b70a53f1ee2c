using System.Net;
using System.Text.Json.Nodes;
using Mlops.Cli.Core.Gateway;

namespace Mlops.EndToEnd.Tests.Gateway;

/// <summary>API errors as the mlops command shows them.</summary>
public sealed class ApiProblemTests
{
    [Fact]
    public void Message_ValidationProblem_NamesEveryFieldAndReason()
    {
        var body = JsonNode.Parse("""{"title":"The training run request is invalid","status":400,"errors":{"algorithm":["algorithm must be one of gbdt"],"labelName":["labelName is required"]}}""");

        var message = new ApiProblem("POST /api/training/runs", HttpStatusCode.BadRequest, body, body!.ToJsonString()).Message;

        Assert.Contains("POST /api/training/runs → 400 BadRequest: The training run request is invalid", message, StringComparison.Ordinal);
        Assert.Contains("algorithm: algorithm must be one of gbdt", message, StringComparison.Ordinal);
        Assert.Contains("labelName: labelName is required", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Message_NotJson_ShowsTheRawBody()
    {
        var message = new ApiProblem("GET /api/x", HttpStatusCode.BadGateway, null, "upstream unavailable").Message;

        Assert.Contains("502 BadGateway", message, StringComparison.Ordinal);
        Assert.Contains("upstream unavailable", message, StringComparison.Ordinal);
    }
}
