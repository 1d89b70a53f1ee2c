using Mlops.Gateway.Dashboard;

namespace Mlops.Gateway.Tests.Dashboard;

public sealed class RequestCountsTests
{
    [Fact]
    public void Parse_PrometheusText_SumsRequestsAndFivexxWithoutProbesOrScrapes()
    {
        const string text = """
            # TYPE http_server_request_duration_seconds histogram
            http_server_request_duration_seconds_bucket{http_request_method="GET",http_route="/api/x",le="0.1"} 7
            http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="200",http_route="/api/x"} 10
            http_server_request_duration_seconds_count{http_request_method="POST",http_response_status_code="503",http_route="/api/y"} 2 1733140000000
            http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="500",http_route="/api/z"} 1
            http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="200",http_route="/health/ready"} 99
            http_server_request_duration_seconds_count{http_request_method="GET",http_response_status_code="200",http_route="/metrics"} 50
            http_server_request_duration_seconds_sum{http_request_method="GET",http_response_status_code="200",http_route="/api/x"} 0.5
            """;

        var counts = RequestCounts.Parse(text);

        Assert.Equal(13, counts.Requests);
        Assert.Equal(3, counts.Errors);
    }

    [Fact]
    public void Parse_NoSeries_Zero() => Assert.Equal(new RequestCounts(0, 0), RequestCounts.Parse("# nothing here\nprocess_cpu_seconds_total 3\n"));
}
