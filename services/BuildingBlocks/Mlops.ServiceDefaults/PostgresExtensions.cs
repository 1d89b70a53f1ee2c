using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Mlops.ServiceDefaults.Health;
using Npgsql;

namespace Mlops.ServiceDefaults;

/// <summary>Registers the service's own PostgreSQL database.</summary>
public static class PostgresExtensions
{
    /// <summary>
    /// Registers an <see cref="NpgsqlDataSource"/> for <c>ConnectionStrings:{connectionName}</c> and makes
    /// readiness depend on it. Each service has its own database; none reads another's tables.
    /// </summary>
    public static TBuilder AddPlatformPostgres<TBuilder>(this TBuilder builder, string connectionName)
        where TBuilder : IHostApplicationBuilder
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"Connection string 'ConnectionStrings:{connectionName}' is not configured " +
                $"(environment variable ConnectionStrings__{connectionName}, or the platform env file).");
        }

        builder.Services.TryAddSingleton(_ =>
        {
            var dataSource = new NpgsqlDataSourceBuilder(connectionString);
            dataSource.ConnectionStringBuilder.ApplicationName ??= builder.Environment.ApplicationName;
            return dataSource.Build();
        });
        // Runs SELECT 1 through the registered data source; the report names the check and carries Npgsql's reason.
        builder.Services.AddHealthChecks().AddNpgSql(name: "postgres", tags: [HealthTags.Ready], timeout: TimeSpan.FromSeconds(5));
        return builder;
    }
}
