using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Mlops.Kafka;
using Mlops.Kafka.CrashingConsumer;
using Mlops.ServiceDefaults;
using Mlops.ServiceDefaults.Configuration;
using Npgsql;

// Usage: --Topic t --Group g [--KillAfter n] [--CommitEvery n]; infrastructure settings from the platform env file.
var builder = Host.CreateApplicationBuilder(args);
builder.Configuration.AddPlatformEnvFile(AppContext.BaseDirectory);
var topic = builder.Configuration["Topic"] ?? throw new ArgumentException("--Topic is required");
var group = builder.Configuration["Group"] ?? throw new ArgumentException("--Group is required");
var killAfter = builder.Configuration.GetValue("KillAfter", 0);
var commitEvery = builder.Configuration.GetValue("CommitEvery", 100);

builder.AddPlatformPostgres("tests");
builder.AddPlatformKafka();
builder.Services.AddSingleton(new CrashSwitch(killAfter));
builder.Services.AddScoped<LedgerHandler>();
builder.AddKafkaConsumer<LedgerEntry, CrashingLedgerHandler>(group, [topic], o =>
{
    o.CommitEvery = commitEvery;
    o.CommitInterval = TimeSpan.FromMinutes(5);
});

using var host = builder.Build();
await LedgerSchema.EnsureAsync(host.Services.GetRequiredService<NpgsqlDataSource>());
await host.RunAsync();
