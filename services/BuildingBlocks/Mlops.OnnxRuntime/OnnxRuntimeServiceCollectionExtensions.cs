using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Mlops.OnnxRuntime;

/// <summary>Registration of the ONNX Runtime binding.</summary>
public static class OnnxRuntimeServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="OnnxRuntimeOptions"/> to the <c>OnnxRuntime</c> section and registers one
    /// <see cref="OnnxRuntimeEnvironment"/>, created (and the library loaded) on first use.
    /// </summary>
    public static TBuilder AddOnnxRuntime<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<OnnxRuntimeOptions>().Bind(builder.Configuration.GetSection(OnnxRuntimeOptions.SectionName));
        builder.Services.TryAddSingleton(sp => new OnnxRuntimeEnvironment(
            sp.GetRequiredService<IOptions<OnnxRuntimeOptions>>().Value,
            sp.GetRequiredService<ILogger<OnnxRuntimeEnvironment>>()));
        return builder;
    }
}
