using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Mlops.Training.Data;

namespace Mlops.Training.Tests;

/// <summary>The features service's NDJSON training-set stream, read over real HTTP from a server speaking its wire format.</summary>
public sealed class HttpTrainingSetSourceTests
{
    [Fact]
    public async Task ReadAsync_NdjsonStream_YieldsEveryRowWithNullFeaturesAsMissing()
    {
        var rows = InTestTrainingSetSource.Synthetic(120, seed: 9, "fs-http");
        string? requestedLabel = null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var server = builder.Build();
        server.MapPost("/api/features/training-sets", async (HttpContext context) =>
        {
            requestedLabel = (await JsonDocument.ParseAsync(context.Request.Body)).RootElement.GetProperty("labelName").GetString();
            context.Response.ContentType = "application/x-ndjson";
            foreach (var row in rows)
            {
                await JsonSerializer.SerializeAsync(context.Response.Body, row, new JsonSerializerOptions(JsonSerializerDefaults.Web));
                await context.Response.Body.WriteAsync("\n"u8.ToArray());
            }
        });
        await server.StartAsync();
        var address = server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address + "/") };

        var read = new List<TrainingSetRow>();
        await foreach (var row in new HttpTrainingSetSource(http).ReadAsync("deteriorated", CancellationToken.None))
        {
            read.Add(row);
        }

        Assert.Equal("deteriorated", requestedLabel);
        Assert.Equal(rows.Count, read.Count);
        Assert.Equal(rows[17].LabelTime, read[17].LabelTime);
        Assert.Equal(rows[17].Features.OrderBy(f => f.Key), read[17].Features.OrderBy(f => f.Key));
        Assert.Contains(read, r => r.Features.Values.Any(v => v is null));
        await server.StopAsync();
    }
}
