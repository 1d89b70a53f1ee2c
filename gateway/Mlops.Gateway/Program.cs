using Mlops.Gateway;
using Mlops.Gateway.ApiReference;
using Mlops.Gateway.Resilience;
using Mlops.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapReverseProxy(proxy =>
{
    proxy.UseUnreachableServiceAnswer();
    // The default pipeline's steps, which a custom pipeline must name.
    proxy.UseSessionAffinity();
    proxy.UseLoadBalancing();
    proxy.UsePassiveHealthChecks();
});
app.MapApiReference();
app.Run();
