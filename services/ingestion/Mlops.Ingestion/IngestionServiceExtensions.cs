using System.Text.Json;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Mlops.Contracts.Ingestion;
using Mlops.Contracts.Kafka;
using Mlops.Ingestion.Datasets;
using Mlops.Ingestion.Intake;
using Mlops.Ingestion.Schemas;
using Mlops.Ingestion.Storage;
using Mlops.Ingestion.Validation;
using Mlops.Kafka;
using Mlops.Kafka.DeadLetters;
using Mlops.ServiceDefaults;
using Mlops.ServiceDefaults.Configuration;

namespace Mlops.Ingestion;

/// <summary>Registers what the ingestion service needs.</summary>
internal static class IngestionServiceExtensions
{
    /// <summary>Schemas, validation, raw store with its outbox relay, dataset versions, HTTP and Kafka intake.</summary>
    public static IHostApplicationBuilder AddIngestionServices(this IHostApplicationBuilder builder)
    {
        // The shipped schemas sit below every other source, so appsettings and environment variables can extend or override them.
        builder.Configuration.AddShippedDefaults("observation-schemas.json");

        builder.AddPlatformPostgres("ingestion");
        builder.AddPlatformKafka();
        // The platform's one dead-letter topic is listed and replayed here (the gateway routes /api/ingestion/*).
        builder.AddDeadLetterReplay();

        builder.Services.AddOptions<IngestionOptions>().Bind(builder.Configuration.GetSection(IngestionOptions.SectionName));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<RegisteredSchemaStore>();
        builder.Services.TryAddSingleton<SchemaCatalog>();
        builder.Services.TryAddSingleton<ObservationValidator>();
        builder.Services.TryAddSingleton<IngestionDatabase>();
        builder.Services.TryAddSingleton<OutboxSignal>();
        builder.Services.TryAddSingleton<RawObservationStore>();
        builder.Services.AddOptions<GroupCommitOptions>().BindConfiguration(GroupCommitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton<ObservationGroupCommit>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ObservationGroupCommit>());
        builder.Services.TryAddSingleton<ObservationIntake>();
        builder.Services.TryAddSingleton<DatasetStore>();
        builder.Services.AddHostedService<ObservationOutboxRelay>();
        var rawTopic = builder.Configuration[$"{IngestionOptions.SectionName}:{nameof(IngestionOptions.RawTopic)}"] ?? Topics.ObservationsRaw;
        var intakeGroup = builder.Configuration[$"{IngestionOptions.SectionName}:IntakeGroup"] ?? "ingestion-raw-intake";
        builder.Services.TryAddSingleton<RejectedObservationPublisher>();
        // Every refused record — unreadable ones too — is answered on the rejected topic, where its sender looks.
        builder.AddKafkaConsumer<JsonElement, RawObservationHandler>(intakeGroup, [rawTopic], o => o.OnInvalidRecord = RawObservationHandler.RejectUnreadableAsync);
        return builder;
    }
}
