using Mlops.Gateway;
using Mlops.Gateway.ApiReference;
using Mlops.Gateway.Security;
using Mlops.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.UseGatewaySecurity();
app.MapReverseProxy();
app.MapApiReference();
app.Run();

/// <summary>Entry point, visible to in-process test hosts.</summary>
public partial class Program;
