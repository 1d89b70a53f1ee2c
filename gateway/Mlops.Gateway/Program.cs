using Mlops.Gateway;
using Mlops.Gateway.ApiReference;
using Mlops.Gateway.Dashboard;
using Mlops.Gateway.Experiments;
using Mlops.Gateway.Routing;
using Mlops.Gateway.Shadow;
using Mlops.Gateway.Security;
using Mlops.Gateway.Resilience;
using Mlops.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();
app.MapDefaultEndpoints(describeAtRoot: false);
app.UseGatewaySecurity();
app.MapExperimentsApi();
app.MapReverseProxy(proxy =>
{
    // A service that does not answer is a 503 with Retry-After, around everything the pipeline forwards.
    proxy.UseUnreachableServiceAnswer();
    // Variant choice and shadow mirroring, then YARP's default steps (Routing/).
    proxy.UseVariantRouting();
});
app.MapShadowApi();
app.MapApiReference();
app.MapDashboardEndpoints();
app.Run();

/// <summary>The gateway's entry point (public for in-process test hosts).</summary>
public partial class Program;
