using Microsoft.Extensions.FileProviders;

namespace Mlops.Gateway.Dashboard;

/// <summary>
/// Serves the dashboard's bundle (built by <c>Dashboard/web</c> during <c>dotnet build</c> into <c>dashboard/</c>
/// beside the gateway's assembly): the page at <c>/</c>, its script and styles under <c>/dashboard/</c>. The files hold
/// no data; every figure on the page comes from an API that needs a key.
/// </summary>
public static class DashboardHosting
{
    public const string AssetsPath = "/dashboard";

    /// <summary>
    /// Scripts, styles, connections and images from this origin only (the charts draw on canvas; uPlot sets element
    /// styles from script, which CSP allows), and no framing.
    /// </summary>
    const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    public static WebApplication MapDashboard(this WebApplication app)
    {
        var root = Path.Combine(AppContext.BaseDirectory, "dashboard");
        if (Directory.Exists(root))
        {
            var files = new PhysicalFileProvider(root);
            app.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = files,
                RequestPath = AssetsPath,
                OnPrepareResponse = c => Secure(c.Context.Response),
            });
        }

        app.MapGet("/", (HttpContext context) =>
        {
            var index = Path.Combine(root, "index.html");
            if (!File.Exists(index))
            {
                return Results.Problem($"The dashboard bundle is missing ({index}); it is built by the gateway's dotnet build (Dashboard/web, needs node and npm).",
                    statusCode: StatusCodes.Status503ServiceUnavailable, title: "Dashboard not built");
            }

            Secure(context.Response);
            context.Response.Headers.CacheControl = "no-cache";
            return Results.File(index, "text/html; charset=utf-8");
        }).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    static void Secure(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
    }
}
