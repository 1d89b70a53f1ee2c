using Mlops.Monitoring;
using Mlops.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMonitoringServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
