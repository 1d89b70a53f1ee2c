using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Mlops.Messaging;
using Mlops.Messaging.CrashingSaga;
using Mlops.ServiceDefaults;
using Mlops.ServiceDefaults.Configuration;

// Infrastructure from the platform env file; the test's connection settings (RabbitMq:VirtualHost, ConnectionStrings:tests)
// from the command line, which must win over the env file. The test kills this process with SIGKILL.
var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.AddPlatformEnvFile(AppContext.BaseDirectory);
builder.Configuration.AddCommandLine(args);
builder.AddPlatformPostgres("tests");
builder.AddPlatformMessaging(bus => bus.AddOutboxRunSaga());

using var host = builder.Build();
await host.RunAsync();
