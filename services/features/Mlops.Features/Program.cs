using Mlops.Features;
using Mlops.Features.Api;
using Mlops.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddFeaturesServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapFeaturesApi();
app.MapOnlineSnapshotApi();
app.MapDefinitionSetsApi();
app.MapPointInTimeApi();
app.MapDatasetVectorsApi();
app.Run();
