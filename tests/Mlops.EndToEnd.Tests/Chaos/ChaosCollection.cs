namespace Mlops.EndToEnd.Tests.Chaos;

// One platform for every scenario, faults one at a time: two scenarios at once would measure each other's faults.
// `platform.sh test` runs this namespace as its last stage, when stopping the infrastructure cannot hurt other tests.
[CollectionDefinition(Name)]
public sealed class ChaosCollection : ICollectionFixture<ChaosFixture>
{
    public const string Name = "chaos";
}
