namespace Mlops.Training.Tests;

/// <summary>The pipeline test classes share one training service, registry process and virtual host, and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class TrainingCollection : ICollectionFixture<TrainingAppFactory>
{
    public const string Name = "training service";
}
