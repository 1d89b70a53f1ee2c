namespace Mlops.EndToEnd.Tests.Chaos;

// One platform for every scenario, faults one at a time: two scenarios at once would measure each other's faults.
// `platform.sh test` runs this namespace as its last stage, when stopping the infrastructure cannot hurt other tests;
// an unfiltered run of this project still runs it alone, after the other collections.
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChaosCollection : ICollectionFixture<ChaosFixture>
{
    public const string Name = "chaos";
}
