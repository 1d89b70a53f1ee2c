using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Gateway;
using Mlops.Contracts.Messaging;
using Mlops.Contracts.Registry;
using Mlops.Messaging.Sagas;

namespace Mlops.Registry.Rollouts;

/// <summary>Registers the rollout saga, its consumers, measurements and sweeper.</summary>
public static class RolloutServiceExtensions
{
    /// <summary>Options, the metric providers, the history recorder and the due-analysis sweeper.</summary>
    public static IHostApplicationBuilder AddRolloutServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RolloutOptions>().BindConfiguration(RolloutOptions.Section)
            .Validate(RolloutOptions.IsValid, "Registry:Rollouts: SweepInterval and MeasurementTimeout must be positive, InferenceAddresses, GatewayAddress and MonitoringAddress absolute URIs")
            .PostConfigure<IConfiguration>((o, configuration) => o.GatewayApiKey ??= configuration[ApiKeys.PlatformKeySetting] is { Length: > 0 } key ? key : null)
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RolloutHistory>();
        builder.Services.AddSingleton<RolloutSagaDataSource>();
        builder.Services.AddHttpClient<DivergenceMetric>(http => http.Timeout = Timeout.InfiniteTimeSpan);
        // Scoped (one per analysis message), unlike typed clients: the metrics sharing a source share its one reading.
        AddScopedSource(builder.Services, (http, options) => new InferenceMetricsSource(http, options));
        AddScopedSource(builder.Services, (http, options) => new MonitoringQualitySource(http, options));
        builder.Services.AddTransient<IRolloutMetric, ErrorRateMetric>();
        builder.Services.AddTransient<IRolloutMetric, LatencyP99Metric>();
        builder.Services.AddTransient<IRolloutMetric>(sp => sp.GetRequiredService<DivergenceMetric>());
        builder.Services.AddTransient<IRolloutMetric, AurocDropMetric>();
        builder.Services.AddTransient<IRolloutMetric, DriftShareMetric>();
        builder.Services.AddSingleton<RolloutAnalysisSweeper>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RolloutAnalysisSweeper>());
        return builder;
    }

    /// <summary>The saga on the PostgreSQL repository with the durable outbox, and the consumers it sends work to.</summary>
    public static IBusRegistrationConfigurator AddRollouts(this IBusRegistrationConfigurator bus)
    {
        bus.AddSagaStateMachine<RolloutStateMachine, RolloutState>()
            .Endpoint(e => e.Name = "registry-rollouts")
            // Durable outbox: traffic commands, analysis requests and history events are committed with the state
            // that produced them, so a crash between the commit and the broker cannot lose a rollback.
            .PostgresRepository(o =>
            {
                o.SagaTypeName = "registry.rollout";
                o.DataSource = sp => sp.GetRequiredService<RolloutSagaDataSource>().DataSource;
                o.Outbox = true;
            });
        bus.AddConsumer<AnalyseRolloutStepConsumer>().Endpoint(e => CommandQueue<AnalyseRolloutStep>(e));
        bus.AddConsumer<PromoteRolloutCandidateConsumer>().Endpoint(e => CommandQueue<PromoteRolloutCandidate>(e));
        bus.AddConsumer<RolloutHistoryConsumer>().Endpoint(e => e.Name = "registry-rollout-history");
        return bus;
    }

    static void AddScopedSource<TSource>(IServiceCollection services, Func<HttpClient, IOptions<RolloutOptions>, TSource> create)
        where TSource : class
    {
        var name = typeof(TSource).Name;
        services.AddHttpClient(name, http => http.Timeout = Timeout.InfiniteTimeSpan);
        services.AddScoped(sp => create(sp.GetRequiredService<IHttpClientFactory>().CreateClient(name), sp.GetRequiredService<IOptions<RolloutOptions>>()));
    }

    static void CommandQueue<TCommand>(IEndpointRegistrationConfigurator endpoint)
        where TCommand : class
    {
        endpoint.Name = CommandQueues.NameOf<TCommand>();
        endpoint.ConfigureConsumeTopology = false;
    }
}
