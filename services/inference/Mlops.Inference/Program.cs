using Mlops.Inference;
using Mlops.Inference.Api;
using Mlops.Inference.Batch;
using Mlops.Inference.Lineage;
using Mlops.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddInferenceServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapInferenceApi();
app.MapLineageApi();
app.MapBatchJobsApi();
app.Run();

/// <summary>Entry point, visible to in-process test hosts.</summary>
public partial class Program;
