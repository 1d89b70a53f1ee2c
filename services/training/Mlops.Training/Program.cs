using Mlops.Training;
using Mlops.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddTrainingServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
