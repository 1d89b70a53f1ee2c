using Microsoft.Extensions.Configuration;
using Mlops.Testing;

namespace Mlops.OnnxRuntime.Tests;

/// <summary>One environment per test run, over the library the infrastructure script installed.</summary>
public sealed class RuntimeFixture : IDisposable
{
    public RuntimeFixture()
    {
        Options = new OnnxRuntimeOptions
        {
            LibraryPath = PlatformInfrastructure.Configuration["OnnxRuntime:LibraryPath"]
                ?? throw new InvalidOperationException("OnnxRuntime:LibraryPath is missing from the platform env file."),
            IntraOpNumThreads = 1,
        };
        Environment = new OnnxRuntimeEnvironment(Options);
    }

    public OnnxRuntimeOptions Options { get; }

    public OnnxRuntimeEnvironment Environment { get; }

    public void Dispose() => Environment.Dispose();
}

[CollectionDefinition(Name)]
public sealed class RuntimeCollection : ICollectionFixture<RuntimeFixture>
{
    public const string Name = "onnxruntime";
}
