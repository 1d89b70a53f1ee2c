using Mlops.EndToEnd.Tests.Platform;

namespace Mlops.EndToEnd.Tests;

// The journey classes drive one platform started with the shipped ports, queue names and consumer groups: two at once
// would fight over ports and take each other's messages. One collection runs them one after another on one platform
// (the runner's parallelizeTestCollections setting would override an assembly-level attribute).
[CollectionDefinition(Name)]
public sealed class JourneyCollection : ICollectionFixture<PlatformFixture>
{
    public const string Name = "journey";
}
