using Mlops.Gateway;
using Mlops.Gateway.ApiReference;
using Mlops.Gateway.Experiments;
using Mlops.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddGatewayServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapExperimentsApi();
app.MapReverseProxy();
app.MapApiReference();
app.Run();
