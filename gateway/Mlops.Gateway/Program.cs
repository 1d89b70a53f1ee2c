using Mlops.Gateway;
using Mlops.Gateway.ApiReference;
using Mlops.Gateway.Experiments;
using Mlops.Gateway.Routing;
using Mlops.Gateway.Shadow;
using Mlops.Gateway.Security;
using Mlops.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.UseGatewaySecurity();
app.MapExperimentsApi();
app.MapReverseProxy(proxy => proxy.UseVariantRouting());
app.MapShadowApi();
app.MapApiReference();
app.Run();

/// <summary>The gateway's entry point (public for in-process test hosts).</summary>
public partial class Program;
