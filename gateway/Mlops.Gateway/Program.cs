using Mlops.Gateway;
using Mlops.Gateway.ApiReference;
using Mlops.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapReverseProxy();
app.MapApiReference();
app.Run();
