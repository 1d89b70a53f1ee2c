using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Mlops.Testing;

/// <summary>
/// A small in-process HTTP app on the loopback interface, for a test to stand in for a service or to receive its calls:
/// create it, map its routes, start it, and talk to the address it answers on.
/// </summary>
public static class LoopbackApp
{
    /// <summary>An app listening on <paramref name="port"/> (0: a free one); <paramref name="quiet"/> drops its logging.</summary>
    public static WebApplication Create(int port = 0, bool quiet = false)
    {
        var builder = WebApplication.CreateSlimBuilder();
        if (quiet)
        {
            builder.Logging.ClearProviders();
        }

        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        return builder.Build();
    }

    /// <summary>Starts the app and returns the address it answers on, ending in '/'.</summary>
    public static async Task<Uri> StartLoopbackAsync(this WebApplication app)
    {
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new Uri(address.TrimEnd('/') + "/");
    }
}
