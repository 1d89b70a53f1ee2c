using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Mlops.Inference.Models;

namespace Mlops.Inference.Tests;

/// <summary><c>POST /api/inference/model</c>: off as shipped, and confined to the configured models folder when on.</summary>
public sealed class LoadModelByPathTests
{
    [Fact]
    public async Task LoadModel_NoModelsFolderConfigured_404ProblemAndNothingLoaded()
    {
        await using var factory = new InferenceAppFactory();
        using var client = await factory.ReadyClientAsync();

        using var response = await client.PostAsJsonAsync("/api/inference/model", Request(Models.PathOf(Models.V2)));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Inference:ModelFilesDirectory", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("1", (await client.PredictAsync(Models.Vitals(80, 16, 96, 37, 120))).GetProperty("modelVersion").GetString());
    }

    [Fact]
    public async Task LoadModel_PathsLeavingTheFolder_400NamingPath()
    {
        var outside = Path.Combine(Path.GetTempPath(), "mlops-outside-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(outside);
        File.Copy(Models.PathOf(Models.V2), Path.Combine(outside, "v2.onnx"));
        var folder = Path.Combine(Path.GetTempPath(), "mlops-models-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        File.CreateSymbolicLink(Path.Combine(folder, "linked.onnx"), Path.Combine(outside, "v2.onnx"));
        Directory.CreateSymbolicLink(Path.Combine(folder, "elsewhere"), outside);
        try
        {
            await using var factory = new InferenceAppFactory(settings: new Dictionary<string, string?> { ["Inference:ModelFilesDirectory"] = folder });
            using var client = await factory.ReadyClientAsync();
            var relativeOut = Path.GetRelativePath(folder, Path.Combine(outside, "v2.onnx"));

            foreach (var path in new[] { Path.Combine(outside, "v2.onnx"), relativeOut, "../" + Path.GetFileName(outside) + "/v2.onnx", "linked.onnx", "elsewhere/v2.onnx" })
            {
                using var response = await client.PostAsJsonAsync("/api/inference/model", Request(path));

                Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
                Assert.Contains("models folder", problem.GetProperty("errors").GetProperty("path")[0].GetString(), StringComparison.Ordinal);
            }

            Assert.Equal("1", (await client.PredictAsync(Models.Vitals(80, 16, 96, 37, 120))).GetProperty("modelVersion").GetString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public async Task LoadModel_FileInsideTheFolder_Loaded()
    {
        await using var factory = new InferenceAppFactory(settings: Models.FolderSettings);
        using var client = await factory.ReadyClientAsync();

        using var response = await client.PostAsJsonAsync("/api/inference/model", Request(Models.FileOf(Models.V2)));

        response.EnsureSuccessStatusCode();
        Assert.Equal("2", (await client.PredictAsync(Models.Vitals(80, 16, 96, 37, 120))).GetProperty("modelVersion").GetString());
    }

    [Theory]
    [InlineData("a.onnx", true)]
    [InlineData("sub/a.onnx", true)]
    [InlineData("sub/../a.onnx", true)]
    [InlineData("../a.onnx", false)]
    [InlineData("/etc/passwd", false)]
    [InlineData("sub/../../a.onnx", false)]
    public void TryResolve_RelativePaths_OnlyInsideAccepted(string requested, bool accepted)
    {
        var root = Path.Combine(Path.GetTempPath(), "models-root");

        Assert.Equal(accepted, ModelFilesFolder.TryResolve(root, requested, out var full, out _));
        if (accepted)
        {
            Assert.StartsWith(root + Path.DirectorySeparatorChar, full, StringComparison.Ordinal);
        }
    }

    static object Request(string path) => new
    {
        name = "deterioration", version = "2", path, sha256 = Models.Sha256Of(Models.V2), features = Models.Features,
    };
}
