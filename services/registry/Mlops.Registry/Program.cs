using Mlops.Registry;
using Mlops.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddRegistryServices();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapRegistryServices();
app.Run();
