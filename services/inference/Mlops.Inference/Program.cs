using Mlops.Inference;
using Mlops.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddInferenceServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
