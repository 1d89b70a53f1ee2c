using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Gateway.Experiments;

namespace Mlops.Gateway.Tests.Experiments;

/// <summary>The experiment API on the shipped gateway against the real PostgreSQL.</summary>
public sealed class ExperimentsApiTests(GatewayFactory gateway) : IClassFixture<GatewayFactory>
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    async Task<ExperimentStatus> CreateAsync(HttpClient client)
    {
        var response = await client.PostAsJsonAsync("/api/gateway/experiments", new
        {
            name = "threshold-0.3", modelName = "deterioration",
            arms = new[] { new { name = "control", variant = "champion", weight = 1.0 }, new { name = "treatment", variant = "challenger", weight = 1.0 } },
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<ExperimentStatus>(Json))!;
    }

    [Fact]
    public async Task Observations_RealDifferenceInBatches_StopsWithTreatmentBetterAndKeepsCounts()
    {
        var client = gateway.CreateClient();
        var created = await CreateAsync(client);
        Assert.Equal(ExperimentAnalysis.Continue, created.Decision);

        ExperimentStatus status = created;
        for (var batch = 0; batch < 20 && status.Decision == ExperimentAnalysis.Continue; batch++)
        {
            var response = await client.PostAsJsonAsync($"/api/gateway/experiments/{created.Id}/observations", new
            {
                arms = new[] { new { arm = "control", trials = 1000, successes = 100 }, new { arm = "treatment", trials = 1000, successes = 130 } },
            });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            status = (await response.Content.ReadFromJsonAsync<ExperimentStatus>(Json))!;
        }

        var stored = (await client.GetFromJsonAsync<ExperimentStatus>($"/api/gateway/experiments/{created.Id}", Json))!;
        Assert.Equal(ExperimentAnalysis.StopTreatmentBetter, stored.Decision);
        Assert.Equal(status.Arms[1].N, stored.Arms[1].N);
        Assert.True(stored.Arms[1].PValue <= 0.05);
        Assert.True(stored.Arms[1].ConfidenceLower > 0);
        Assert.Equal(0.13, stored.Arms[1].Rate!.Value, 1e-12);
        Assert.False(stored.SampleRatio.Mismatch);
    }

    [Fact]
    public async Task Observations_LopsidedArms_ReportSampleRatioMismatch()
    {
        var client = gateway.CreateClient();
        var created = await CreateAsync(client);

        var response = await client.PostAsJsonAsync($"/api/gateway/experiments/{created.Id}/observations", new
        {
            arms = new[] { new { arm = "control", trials = 10_000, successes = 1_000 }, new { arm = "treatment", trials = 9_400, successes = 940 } },
        });

        var status = (await response.Content.ReadFromJsonAsync<ExperimentStatus>(Json))!;
        Assert.True(status.SampleRatio.Mismatch);
        Assert.Equal(ExperimentAnalysis.Invalid, status.Decision);
    }

    [Fact]
    public async Task Observations_UnknownArmAndTooManySuccesses_Return400NamingTheFields()
    {
        var client = gateway.CreateClient();
        var created = await CreateAsync(client);

        var response = await client.PostAsJsonAsync($"/api/gateway/experiments/{created.Id}/observations", new
        {
            arms = new[] { new { arm = "nope", trials = 10, successes = 1 }, new { arm = "control", trials = 10, successes = 11 } },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("arms[0].arm", body);
        Assert.Contains("arms[1].successes", body);
    }

    [Fact]
    public async Task Create_OneArm_Returns400NamingArms()
    {
        var response = await gateway.CreateClient().PostAsJsonAsync("/api/gateway/experiments", new
        {
            name = "x", modelName = "deterioration", arms = new[] { new { name = "control", variant = "champion" } },
        });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"arms\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task SampleSize_IssueExample_Returns31231()
    {
        var answer = await gateway.CreateClient().GetFromJsonAsync<SampleSizeAnswer>("/api/gateway/experiments/sample-size?baseline=0.05&target=0.055", Json);

        Assert.Equal(31_231, answer!.PerArm);
    }

    [Fact]
    public async Task GetStatus_UnknownExperiment_Returns404()
    {
        var response = await gateway.CreateClient().GetAsync($"/api/gateway/experiments/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
