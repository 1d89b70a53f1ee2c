using Mlops.Ingestion;
using Mlops.Ingestion.Api;
using Mlops.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddIngestionServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapObservationsApi();
app.MapDatasetsApi();
app.MapSchemasApi();
app.Run();
