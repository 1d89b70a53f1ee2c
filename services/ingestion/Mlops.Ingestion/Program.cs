using Mlops.Ingestion;
using Mlops.Ingestion.Api;
using Mlops.Kafka.DeadLetters;
using Mlops.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddIngestionServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapObservationsApi();
app.MapDatasetsApi();
app.MapSchemasApi();
app.MapDeadLetterApi("/api/ingestion/deadletters");
app.Run();
