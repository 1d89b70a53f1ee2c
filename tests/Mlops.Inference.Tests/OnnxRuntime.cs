using System.Security.Cryptography;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Mlops.Inference.Models;
using Mlops.Onnx.Ir;

namespace Mlops.Inference.Tests;

/// <summary>Sessions and loaded models over the official ONNX Runtime package, as the service creates them.</summary>
internal static class OnnxRuntime
{
    public static ServiceProvider Services(ExecutionProvider provider = ExecutionProvider.Cpu, ILoggerProvider? logs = null) =>
        new ServiceCollection()
            .AddLogging(b =>
            {
                if (logs is not null)
                {
                    b.AddProvider(logs);
                }
            })
            .Configure<OnnxRuntimeOptions>(o =>
            {
                o.IntraOpNumThreads = 1;
                o.ExecutionProvider = provider;
            })
            .AddSingleton<OnnxSessionFactory>()
            .BuildServiceProvider();

    /// <summary>A warm model over <paramref name="bytes"/>, as <see cref="ModelHost"/> builds it (without the hash check).</summary>
    public static LoadedModel Load(IServiceProvider services, byte[] bytes, IReadOnlyList<string> features, string name = "test")
    {
        var (session, provider) = services.GetRequiredService<OnnxSessionFactory>().Create(bytes);
        try
        {
            return new LoadedModel(new ModelDeployment { Name = name, Version = "1", Features = [.. features] }, session, provider);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Writes bytes to a temp file, as a deployment names an artifact: path and SHA-256.</summary>
    public static (string Path, string Sha256) Artifact(byte[] bytes, string name)
    {
        var directory = Path.Combine(Path.GetTempPath(), "mlops-inference-tests");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{name}-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, bytes);
        return (path, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    /// <summary>The model with its graph input <c>features</c> renamed (a model that breaks the platform's contract).</summary>
    public static byte[] WithInputRenamed(byte[] bytes, string newName)
    {
        var model = ModelProto.Parser.ParseFrom(bytes);
        foreach (var input in model.Graph.Input.Where(i => i.Name == "features"))
        {
            input.Name = newName;
        }

        foreach (var node in model.Graph.Node)
        {
            for (var i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == "features")
                {
                    node.Input[i] = newName;
                }
            }
        }

        return model.ToByteArray();
    }
}

/// <summary>Log entries captured for assertions.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    readonly List<(LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<(LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return [.. _entries];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._entries)
            {
                owner._entries.Add((logLevel, formatter(state, exception)));
            }
        }
    }
}
