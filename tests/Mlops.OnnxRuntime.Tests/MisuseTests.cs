namespace Mlops.OnnxRuntime.Tests;

[Collection(RuntimeCollection.Name)]
public sealed class MisuseTests(RuntimeFixture fixture)
{
    [Fact]
    public void Run_UnknownInputName_ThrowsOrtErrorNamingIt()
    {
        using var session = fixture.Environment.CreateSession(TestModels.Bytes(TestModels.LogisticRegression));

        var error = Assert.Throws<OnnxRuntimeException>(() => session.Run("vitals", new float[4], [1, 4]));

        Assert.Equal(OrtErrorCode.InvalidArgument, error.Code);
        Assert.Contains("vitals", error.OrtMessage);
    }

    [Fact]
    public void Run_WrongShape_ThrowsOrtErrorAboutDimensions()
    {
        using var session = fixture.Environment.CreateSession(TestModels.Bytes(TestModels.LogisticRegression));

        var error = Assert.Throws<OnnxRuntimeException>(() => session.Run("features", new float[6], [2, 3]));

        Assert.Equal(OrtErrorCode.InvalidArgument, error.Code);
        Assert.Contains("dimensions", error.OrtMessage, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Run_UnknownOutputName_ThrowsOrtError()
    {
        using var session = fixture.Environment.CreateSession(TestModels.Bytes(TestModels.LogisticRegression));

        var error = Assert.Throws<OnnxRuntimeException>(() => session.Run([new TensorInput("features", new float[4], [1, 4])], ["risk"]));

        Assert.Contains("risk", error.OrtMessage);
    }

    [Fact]
    public void Run_ValueCountDisagreesWithShape_ThrowsBeforeReachingOrt()
    {
        using var session = fixture.Environment.CreateSession(TestModels.Bytes(TestModels.LogisticRegression));

        var error = Assert.Throws<ArgumentException>(() => session.Run("features", new float[7], [2, 4]));

        Assert.Contains("7 values", error.Message);
    }

    [Fact]
    public void CreateSession_BytesThatAreNotAModel_ThrowsOrtError()
    {
        var error = Assert.Throws<OnnxRuntimeException>(() => fixture.Environment.CreateSession("not an onnx model"u8));

        Assert.NotEqual(OrtErrorCode.Ok, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.OrtMessage));
    }

    [Fact]
    public void Run_AfterDispose_ThrowsObjectDisposed()
    {
        var session = fixture.Environment.CreateSession(TestModels.Bytes(TestModels.LogisticRegression));
        session.Dispose();

        Assert.Throws<ObjectDisposedException>(() => session.Run("features", new float[4], [1, 4]));
    }

    // A container disposes singletons in reverse creation order, which can put the environment before its sessions.
    [Fact]
    public void Environment_DisposedBeforeItsSession_SessionStillRunsAndReleasesEverything()
    {
        var before = OnnxRuntimeDiagnostics.LiveNativeObjects;
        var environment = new OnnxRuntimeEnvironment(fixture.Options);
        var session = environment.CreateSession(TestModels.Bytes(TestModels.LogisticRegression));

        environment.Dispose();
        Assert.Throws<ObjectDisposedException>(() => environment.CreateSession(TestModels.Bytes(TestModels.LogisticRegression)));
        using (var result = session.Run("features", new float[] { 0, 0, 0, 0 }, [1, 4]))
        {
            Assert.Equal(TestModels.Sigmoid(TestModels.Parameters(TestModels.LogisticRegression).GetProperty("bias").GetDouble()), result.GetFloats(0)[0], 5);
        }

        session.Dispose();
        Assert.Equal(before, OnnxRuntimeDiagnostics.LiveNativeObjects);
    }

    [Fact]
    public void Environment_LibraryPathMissing_ThrowsNamingTheSetting()
    {
        var error = Assert.Throws<OnnxRuntimeException>(() => new OnnxRuntimeEnvironment(new OnnxRuntimeOptions { LibraryPath = "/nonexistent/libonnxruntime.so.1" }));

        Assert.Contains("OnnxRuntime:LibraryPath", error.Message);
    }

    [Fact]
    public void CreateSession_CudaConfiguredWithoutGpu_WarnsAndRunsOnCpu()
    {
        var logger = new CapturingLogger<OnnxRuntimeEnvironment>();
        var options = new OnnxRuntimeOptions { LibraryPath = fixture.Options.LibraryPath, ExecutionProvider = ExecutionProvider.Cuda };
        using var environment = new OnnxRuntimeEnvironment(options, logger);

        using var session = environment.CreateSession(TestModels.Bytes(TestModels.LogisticRegression));
        using var result = session.Run("features", new float[4], [1, 4]);

        Assert.Equal(ExecutionProvider.Cpu, session.ExecutionProvider);
        Assert.Contains(logger.Entries, e => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning && e.Message.Contains("CUDA"));
        Assert.Equal(0.5f, result.GetFloats(0)[0], 0.2f);
    }
}
