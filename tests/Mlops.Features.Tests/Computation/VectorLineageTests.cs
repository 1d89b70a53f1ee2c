using Mlops.Features.Computation;
using Mlops.Features.Definitions;

namespace Mlops.Features.Tests.Computation;

/// <summary>A vector's lineage: recomputing "as known at" its latest known-at uses exactly its observations.</summary>
public sealed class VectorLineageTests
{
    static readonly DateTimeOffset T = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    readonly FeatureDefinitions _set = Definitions.Shipped();

    static ObservationPoint Obs(string id, string code, double value, double hoursBefore, double knownHoursBefore) =>
        new(id, code, value, T.AddHours(-hoursBefore), T.AddHours(-knownHoursBefore));

    [Fact]
    public void Of_ObservationsInAndOutOfTheHorizon_NamesThoseInsideAndTheirLatestKnownAt()
    {
        ObservationPoint[] window =
        [
            Obs("b", "heart_rate", 90, 2, 1.5),
            Obs("a", "spo2", 95, 1, 0.25),
            Obs("too-old", "heart_rate", 70, 30, 30),
        ];

        var lineage = VectorLineage.Of(_set, window, T);

        Assert.Equal(["a", "b"], lineage.ObservationIds);
        Assert.Equal(T.AddHours(-0.25), lineage.KnownAt);
    }

    [Fact]
    public void Compute_AsKnownAtTheLineageTime_EqualsTheVector_AndIgnoresAValueKnownLater()
    {
        ObservationPoint[] window = [Obs("b", "heart_rate", 90, 2, 1.5), Obs("a", "spo2", 95, 1, 0.25)];
        var vector = FeatureCalculator.Compute(_set, window, T);
        var lineage = VectorLineage.Of(_set, window, T);
        // A heart rate taken before T, made available only after the vector was computed.
        ObservationPoint[] later = [.. window, Obs("late", "heart_rate", 150, 0.5, -1)];

        var replayed = FeatureCalculator.Compute(_set, later, T, lineage.KnownAt);

        Assert.Equal(vector, replayed);
        Assert.NotEqual(vector["heart_rate_last_1h"], FeatureCalculator.Compute(_set, later, T)["heart_rate_last_1h"]);
    }
}
