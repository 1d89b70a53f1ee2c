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
    public async Task Stop_RunningExperiment_FreezesItsCountsAndRecordsWhoAndWhy()
    {
        var client = gateway.CreateClient();
        var created = await CreateAsync(client);
        var arms = new { arms = new[] { new { arm = "control", trials = 500, successes = 50 }, new { arm = "treatment", trials = 500, successes = 60 } } };
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync($"/api/gateway/experiments/{created.Id}/observations", arms)).StatusCode);

        using var stop = await client.PostAsJsonAsync($"/api/gateway/experiments/{created.Id}/stop", new { reason = "ward audit ended" });
        Assert.Equal(HttpStatusCode.OK, stop.StatusCode);
        var stopped = (await stop.Content.ReadFromJsonAsync<ExperimentStatus>(Json))!;
        Assert.Equal("ward audit ended", stopped.Stopped!.Reason);
        Assert.False(string.IsNullOrEmpty(stopped.Stopped.By));

        // Counts after the stop are refused, and the stored status is the one it was stopped at.
        using var late = await client.PostAsJsonAsync($"/api/gateway/experiments/{created.Id}/observations", arms);
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Contains("stopped", await late.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
        var stored = (await client.GetFromJsonAsync<ExperimentStatus>($"/api/gateway/experiments/{created.Id}", Json))!;
        Assert.Equal((500L, 500L), (stored.Arms[0].N, stored.Arms[1].N));
        Assert.Equal(stopped.Stopped, stored.Stopped);

        // A second stop leaves the first one standing.
        using var again = await client.PostAsJsonAsync($"/api/gateway/experiments/{created.Id}/stop", new { reason = "another reason" });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("ward audit ended", (await again.Content.ReadFromJsonAsync<ExperimentStatus>(Json))!.Stopped!.Reason);
    }

    [Fact]
    public async Task Stop_NoReasonOrUnknownExperiment_Returns400NamingReasonAnd404()
    {
        var client = gateway.CreateClient();
        var created = await CreateAsync(client);
        using var noReason = await client.PostAsJsonAsync($"/api/gateway/experiments/{created.Id}/stop", new { reason = " " });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Contains("\"reason\"", await noReason.Content.ReadAsStringAsync());
        using var unknown = await client.PostAsJsonAsync($"/api/gateway/experiments/{Guid.NewGuid()}/stop", new { reason = "done" });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Looks_EachBatch_RecordsCountsAndTheRunningMinimumPValueInOrder()
    {
        var client = gateway.CreateClient();
        var created = await CreateAsync(client);
        var answers = new List<ExperimentStatus>();
        for (var batch = 0; batch < 4; batch++)
        {
            var response = await client.PostAsJsonAsync($"/api/gateway/experiments/{created.Id}/observations", new
            {
                // The treatment's lead shrinks in the last batch, so that look's own p-value rises above the running minimum.
                arms = new[] { new { arm = "control", trials = 500, successes = 50 }, new { arm = "treatment", trials = 500, successes = batch < 3 ? 75 : 45 } },
            });
            answers.Add((await response.Content.ReadFromJsonAsync<ExperimentStatus>(Json))!);
        }

        var looks = (await client.GetFromJsonAsync<ExperimentLook[]>($"/api/gateway/experiments/{created.Id}/looks", Json))!;

        Assert.Equal([1L, 2, 3, 4], looks.Select(l => l.Look).ToArray());
        Assert.True(looks.Zip(looks.Skip(1)).All(pair => pair.First.At <= pair.Second.At));
        Assert.Equal([500L, 1000, 1500, 2000], looks.Select(l => l.Arms[1].Trials).ToArray());
        Assert.Equal([75L, 150, 225, 270], looks.Select(l => l.Arms[1].Successes).ToArray());
        Assert.All(looks, l => Assert.Equal(("control", (double?)null, (double?)null), (l.Arms[0].Name, l.Arms[0].PValue, l.Arms[0].MinPValue)));
        // What each answer said is what the history keeps: the always-valid p-value is the running minimum of the looks' values.
        Assert.Equal(answers.Select(a => a.Arms[1].PValue).ToArray(), looks.Select(l => l.Arms[1].MinPValue).ToArray());
        Assert.True(looks[3].Arms[1].PValue > looks[3].Arms[1].MinPValue);
        Assert.Equal(looks.Select(l => l.Arms[1].PValue!.Value).Min(), looks[3].Arms[1].MinPValue!.Value, 12);

        var newest = (await client.GetFromJsonAsync<ExperimentLook[]>($"/api/gateway/experiments/{created.Id}/looks?limit=2", Json))!;
        Assert.Equal([3L, 4], newest.Select(l => l.Look).ToArray());
    }

    [Fact]
    public async Task Looks_BadLimitOrUnknownExperiment_Return400NamingLimitAnd404()
    {
        var client = gateway.CreateClient();
        var created = await CreateAsync(client);

        var bad = await client.GetAsync($"/api/gateway/experiments/{created.Id}/looks?limit=0");
        var unknown = await client.GetAsync($"/api/gateway/experiments/{Guid.NewGuid()}/looks");
        var none = (await client.GetFromJsonAsync<ExperimentLook[]>($"/api/gateway/experiments/{created.Id}/looks", Json))!;

        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("limit", await bad.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Empty(none);
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
