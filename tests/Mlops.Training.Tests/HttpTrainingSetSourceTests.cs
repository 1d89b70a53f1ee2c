using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Mlops.Testing;
using Mlops.Training.Data;
using Mlops.Training.Pipeline;

namespace Mlops.Training.Tests;

/// <summary>The features service's NDJSON training-set stream, read over real HTTP from a server speaking its wire format.</summary>
public sealed class HttpTrainingSetSourceTests
{
    [Fact]
    public async Task ReadAsync_NdjsonStream_YieldsEveryRowWithNullFeaturesAsMissing()
    {
        var rows = InTestTrainingSetSource.Synthetic(120, seed: 9, "fs-http");
        string? requestedLabel = null;
        var askedForVersion = true;
        await using var server = LoopbackApp.Create();
        server.MapPost("/api/features/training-sets", async (HttpContext context) =>
        {
            var body = (await JsonDocument.ParseAsync(context.Request.Body)).RootElement;
            requestedLabel = body.GetProperty("labelName").GetString();
            askedForVersion = body.TryGetProperty("featureSetVersion", out _);
            context.Response.ContentType = "application/x-ndjson";
            foreach (var row in rows)
            {
                await JsonSerializer.SerializeAsync(context.Response.Body, row, new JsonSerializerOptions(JsonSerializerDefaults.Web));
                await context.Response.Body.WriteAsync("\n"u8.ToArray());
            }
        });
        using var http = new HttpClient { BaseAddress = await server.StartLoopbackAsync() };

        var read = new List<TrainingSetRow>();
        using var set = await new HttpTrainingSetSource(http).OpenAsync(new TrainingSetQuery("deteriorated", null, null), CancellationToken.None);
        await foreach (var row in set.Rows)
        {
            read.Add(row);
        }

        Assert.Equal("deteriorated", requestedLabel);
        Assert.False(askedForVersion, "without a run version the shipped set is asked for by leaving the member out");
        Assert.Equal(rows.Count, read.Count);
        Assert.Equal(rows[17].LabelTime, read[17].LabelTime);
        Assert.Equal(rows[17].Features.OrderBy(f => f.Key), read[17].Features.OrderBy(f => f.Key));
        Assert.Contains(read, r => r.Features.Values.Any(v => v is null));
        await server.StopAsync();
    }

    [Fact]
    public async Task ReadAsync_RunFeatureSetVersion_IsSentInTheRequestBody()
    {
        var rows = InTestTrainingSetSource.Synthetic(20, seed: 4, "sepsis-0123456789ab");
        JsonElement? requested = null;
        await using var server = LoopbackApp.Create();
        server.MapPost("/api/features/training-sets", async (HttpContext context) =>
        {
            requested = (await JsonDocument.ParseAsync(context.Request.Body)).RootElement.Clone();
            context.Response.ContentType = "application/x-ndjson";
            foreach (var row in rows)
            {
                await JsonSerializer.SerializeAsync(context.Response.Body, row, new JsonSerializerOptions(JsonSerializerDefaults.Web));
                await context.Response.Body.WriteAsync("\n"u8.ToArray());
            }
        });
        using var http = new HttpClient { BaseAddress = await server.StartLoopbackAsync() };

        var read = 0;
        using var set = await new HttpTrainingSetSource(http).OpenAsync(new TrainingSetQuery("deteriorated", "sepsis-0123456789ab", null), CancellationToken.None);
        await foreach (var row in set.Rows)
        {
            Assert.Equal("sepsis-0123456789ab", row.FeatureSetVersion);
            read++;
        }

        Assert.Equal(rows.Count, read);
        var body = requested ?? throw new InvalidOperationException("no training-set request reached the server");
        Assert.Equal("deteriorated", body.GetProperty("labelName").GetString());
        Assert.Equal("sepsis-0123456789ab", body.GetProperty("featureSetVersion").GetString());
        Assert.False(body.TryGetProperty("featureSet", out _), "the exact version alone selects the set");
        await server.StopAsync();
    }

    [Fact]
    public async Task ReadAsync_UnknownFeatureSetVersion_FailsTheStepWithTheServiceReason()
    {
        await using var server = LoopbackApp.Create();
        server.MapPost("/api/features/training-sets", () =>
            Results.Problem(title: "Unknown feature set", detail: "no feature set version 'gone-000000000000'", statusCode: StatusCodes.Status404NotFound));
        using var http = new HttpClient { BaseAddress = await server.StartLoopbackAsync() };

        var error = await Assert.ThrowsAsync<TrainingStepException>(() =>
            new HttpTrainingSetSource(http).OpenAsync(new TrainingSetQuery("deteriorated", "gone-000000000000", null), CancellationToken.None));

        Assert.Contains("gone-000000000000", error.Message, StringComparison.Ordinal);
        Assert.Contains("Unknown feature set", error.Message, StringComparison.Ordinal);
        await server.StopAsync();
    }

    [Fact]
    public async Task OpenAsync_RunDatasetVersion_IsSentAndTheSourceTheServiceNamedIsReturned()
    {
        var rows = InTestTrainingSetSource.Synthetic(10, seed: 2, "fs-ds");
        JsonElement? requested = null;
        await using var server = LoopbackApp.Create();
        server.MapPost("/api/features/training-sets", async (HttpContext context) =>
        {
            requested = (await JsonDocument.ParseAsync(context.Request.Body)).RootElement.Clone();
            context.Response.Headers["X-Training-Set-Source"] = "dataset";
            context.Response.Headers["X-Dataset-Version"] = "sha256:0a1b";
            context.Response.Headers["X-Dataset-Observations"] = "1234";
            context.Response.Headers["X-Labels-Recorded-By"] = "2026-12-02T19:00:00.1234560Z";
            context.Response.ContentType = "application/x-ndjson";
            foreach (var row in rows)
            {
                await JsonSerializer.SerializeAsync(context.Response.Body, row, new JsonSerializerOptions(JsonSerializerDefaults.Web));
                await context.Response.Body.WriteAsync("\n"u8.ToArray());
            }
        });
        using var http = new HttpClient { BaseAddress = await server.StartLoopbackAsync() };

        using var set = await new HttpTrainingSetSource(http).OpenAsync(new TrainingSetQuery("deteriorated", "fs-ds", "sha256:0a1b"), CancellationToken.None);
        var read = 0;
        await foreach (var _ in set.Rows)
        {
            read++;
        }

        Assert.Equal(rows.Count, read);
        Assert.Equal("sha256:0a1b", requested!.Value.GetProperty("datasetVersion").GetString());
        Assert.Equal(new TrainingSetOrigin("dataset", "sha256:0a1b", 1234, new DateTimeOffset(2026, 12, 2, 19, 0, 0, TimeSpan.Zero).AddTicks(1234560)), set.Origin);
        await server.StopAsync();
    }

    [Fact]
    public async Task OpenAsync_ServiceAnsweringFromAnotherSource_FailsTheStepRatherThanTrainOnIt()
    {
        await using var server = LoopbackApp.Create();
        // A features service from before dataset versions were honoured: it ignores the member and answers from its store.
        server.MapPost("/api/features/training-sets", (HttpContext context) =>
        {
            context.Response.ContentType = "application/x-ndjson";
            return Task.CompletedTask;
        });
        using var http = new HttpClient { BaseAddress = await server.StartLoopbackAsync() };

        var error = await Assert.ThrowsAsync<TrainingStepException>(() =>
            new HttpTrainingSetSource(http).OpenAsync(new TrainingSetQuery("deteriorated", null, "sha256:0a1b"), CancellationToken.None));

        Assert.Contains("not from dataset version sha256:0a1b", error.Message, StringComparison.Ordinal);
        await server.StopAsync();
    }

    [Fact]
    public async Task OpenAsync_UnknownDatasetVersion_FailsTheStepWithTheServiceReason()
    {
        await using var server = LoopbackApp.Create();
        server.MapPost("/api/features/training-sets", () =>
            Results.Problem(title: "Unknown dataset version", detail: "no dataset version 'sha256:gone' in ingestion", statusCode: StatusCodes.Status404NotFound));
        using var http = new HttpClient { BaseAddress = await server.StartLoopbackAsync() };

        var error = await Assert.ThrowsAsync<TrainingStepException>(() =>
            new HttpTrainingSetSource(http).OpenAsync(new TrainingSetQuery("deteriorated", null, "sha256:gone"), CancellationToken.None));

        Assert.Contains("Unknown dataset version: no dataset version 'sha256:gone' in ingestion", error.Message, StringComparison.Ordinal);
        await server.StopAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task OpenAsync_LabelsFrom_SentAndRefusedUnlessTheServiceSaysItApplied(bool echoed)
    {
        var from = new DateTimeOffset(2026, 11, 3, 8, 30, 0, TimeSpan.Zero);
        string? requested = null;
        await using var server = LoopbackApp.Create();
        server.MapPost("/api/features/training-sets", async (HttpContext context) =>
        {
            requested = (await JsonDocument.ParseAsync(context.Request.Body)).RootElement.GetProperty("labelsFrom").GetString();
            if (echoed)
            {
                context.Response.Headers["X-Labels-From"] = requested;
            }

            context.Response.ContentType = "application/x-ndjson";
        });
        using var http = new HttpClient { BaseAddress = await server.StartLoopbackAsync() };
        var query = new TrainingSetQuery("deteriorated", null, null, from);

        var opening = new HttpTrainingSetSource(http).OpenAsync(query, CancellationToken.None);

        if (echoed)
        {
            using var set = await opening;
        }
        else
        {
            // A features service that ignored the window would hand over all history: the step fails, saying so.
            var refused = await Assert.ThrowsAsync<TrainingStepException>(() => opening);
            Assert.Contains("did not apply the window", refused.Message, StringComparison.Ordinal);
        }

        Assert.Equal(from, DateTimeOffset.Parse(requested!, System.Globalization.CultureInfo.InvariantCulture));
        await server.StopAsync();
    }
}
