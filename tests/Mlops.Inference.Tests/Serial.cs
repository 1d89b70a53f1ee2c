namespace Mlops.Inference.Tests;

/// <summary>Tests that listen to process-wide meters run alone, so no other service instance adds measurements.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "serial";
}
