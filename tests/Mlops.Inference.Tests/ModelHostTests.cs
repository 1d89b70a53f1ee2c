using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Mlops.Inference.Models;

namespace Mlops.Inference.Tests;

public sealed class ModelHostTests : IDisposable
{
    readonly ServiceProvider _services = OnnxRuntime.Services();

    public void Dispose() => _services.Dispose();

    [Fact]
    public async Task Readiness_BeforeFirstModelIsWarm_Unhealthy()
    {
        using var catalog = new ModelCatalog(_services, NullLoggerFactory.Instance, Microsoft.Extensions.Options.Options.Create(new InferenceOptions()));

        var result = await new ModelReadinessCheck(catalog).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
    }

    [Fact]
    public async Task LoadAsync_HashMismatchWithoutModel_ThrowsAndFallsBack()
    {
        using var host = new ModelHost(_services, NullLogger<ModelHost>.Instance);

        await Assert.ThrowsAsync<InvalidDataException>(() => host.LoadAsync(Deployment(Models.V1, "1") with { Sha256 = new string('0', 64) }, CancellationToken.None));

        Assert.Equal(ModelHostState.Fallback, host.State);
        Assert.Null(host.Lease());
    }

    // The swap must not release a session a request still holds: the old version keeps scoring until its lease ends.
    [Fact]
    public async Task LoadAsync_NewVersionWhileOldIsLeased_OldKeepsWorkingUntilReleased()
    {
        using var host = new ModelHost(_services, NullLogger<ModelHost>.Instance);
        await host.LoadAsync(Deployment(Models.V1, "1"), CancellationToken.None);
        var inFlight = host.Lease()!;

        await host.LoadAsync(Deployment(Models.V2, "2"), CancellationToken.None);

        Assert.Equal("2", host.Current!.Version);
        var p = new double[1];
        var u = new double[1];
        inFlight.Score(new float[] { 120, 25, 90, 38, 95 }, 1, p, u);
        Assert.Equal(Models.Expected(Models.V1, Models.Vitals(120, 25, 90, 38, 95)).Mean, p[0], 5);
        inFlight.Release();
        Assert.False(inFlight.TryAcquire());
        Assert.Throws<ObjectDisposedException>(() => inFlight.Score(new float[5], 1, p, u));
        var current = host.Lease()!;
        Assert.Equal("2", current.Deployment.Version);
        current.Release();
    }

    [Fact]
    public async Task LoadAsync_BytesThatAreNotAModel_FailsWithOrtMessageAndFallsBack()
    {
        using var host = new ModelHost(_services, NullLogger<ModelHost>.Instance);
        var (path, sha) = OnnxRuntime.Artifact("not an onnx model"u8.ToArray(), "garbage");

        var error = await Assert.ThrowsAsync<Microsoft.ML.OnnxRuntime.OnnxRuntimeException>(() => host.LoadAsync(Deployment(Models.V1, "1") with { Path = path, Sha256 = sha }, CancellationToken.None));

        Assert.Equal(ModelHostState.Fallback, host.State);
        Assert.Equal(error.Message, host.LastError);
    }

    static ModelDeployment Deployment(string model, string version) => new()
    {
        Name = "deterioration",
        Version = version,
        Path = Models.PathOf(model),
        Sha256 = Models.Sha256Of(model),
        Features = [.. Models.Features],
    };
}
