namespace Mlops.Inference.Tests.Batch;

/// <summary>The batch tests share one ingestion/features pair and dataset version, and run one class at a time.</summary>
[CollectionDefinition(Name)]
public sealed class BatchDatasetCollection : ICollectionFixture<BatchDatasetFixture>
{
    public const string Name = "batch-dataset";
}
