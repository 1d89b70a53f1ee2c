using Mlops.ServiceDefaults;
using Mlops.Training;
using Mlops.Training.Api;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddTrainingServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapTrainingApi();
app.Run();

/// <summary>Entry point, visible to in-process test hosts.</summary>
public partial class Program;
