using Mlops.Monitoring;
using Mlops.Monitoring.Api;
using Mlops.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddMonitoringServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapDriftApi();
app.MapPerformanceApi();
app.MapVariantQualityApi();
app.MapWebhooksApi();
app.MapSloApi();
app.MapRetrainingApi();
app.MapModelSettingsApi();
app.Run();

/// <summary>Entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
