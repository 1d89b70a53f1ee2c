using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Inference;
using Mlops.Inference.Models;
using Mlops.Kafka;

namespace Mlops.Inference.Batch;

/// <summary>Registers batch inference: the API's planner and store, the features client, the chunk consumer, the resumer of
/// plannings a dead planner left and the sweeper of expired results.</summary>
internal static class BatchJobServiceExtensions
{
    public static IHostApplicationBuilder AddBatchJobs(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<BatchJobOptions>().BindConfiguration(BatchJobOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.Topic), "Inference:BatchJobs:Topic is required")
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConsumerGroup), "Inference:BatchJobs:ConsumerGroup is required")
            .Validate(o => o.Partitions >= 1, "Inference:BatchJobs:Partitions must be at least 1")
            .Validate(o => o.EntitiesPerChunk is >= 1 and <= 1000, "Inference:BatchJobs:EntitiesPerChunk must be 1 to 1000 (what the features service answers per request)")
            .Validate(o => o.ScoreBatchSize is >= 1 and <= 1024, "Inference:BatchJobs:ScoreBatchSize must be 1 to 1024")
            .Validate(o => o.MaxTimes is >= 1 and <= 1000, "Inference:BatchJobs:MaxTimes must be 1 to 1000 (what the features service answers per request)")
            .Validate(o => !string.IsNullOrWhiteSpace(o.LabelName), "Inference:BatchJobs:LabelName is required")
            .Validate(o => !string.IsNullOrWhiteSpace(o.OutputTopicPrefix), "Inference:BatchJobs:OutputTopicPrefix is required (an empty prefix would let a job write into any topic)")
            .Validate(o => o.ResumeInterval > TimeSpan.Zero, "Inference:BatchJobs:ResumeInterval must be positive")
            .Validate(o => o.ResultRetention > TimeSpan.Zero, "Inference:BatchJobs:ResultRetention must be positive (e.g. 30.00:00:00)")
            .ValidateOnStart();
        builder.Services.TryAddSingleton<BatchJobDatabase>();
        builder.Services.TryAddSingleton<BatchJobStore>();
        builder.Services.TryAddTransient<BatchModelResolver>();
        builder.Services.TryAddTransient<BatchJobPlanner>();
        builder.Services.AddHttpClient<DatasetVectorsClient>((sp, http) =>
        {
            http.BaseAddress = sp.GetRequiredService<IOptions<InferenceOptions>>().Value.FeaturesBaseAddress;
            http.Timeout = TimeSpan.FromMinutes(5); // a chunk's vectors stream for as long as the features service computes them
        });

        var settings = builder.Configuration.GetSection(BatchJobOptions.Section).Get<BatchJobOptions>() ?? new BatchJobOptions();
        if (settings.Enabled)
        {
            builder.Services.AddHostedService<BatchTopicInitializer>();
            builder.Services.AddHostedService<BatchPlanningResumer>();
            builder.Services.AddHostedService<BatchResultSweeper>();
            // Every replica in one group: each chunk goes to the replica owning its partition.
            builder.AddKafkaConsumer<BatchChunkRequested, BatchChunkHandler>(settings.ConsumerGroup, [settings.Topic]);
        }

        return builder;
    }
}
