using System.Text.Json.Nodes;
using Mlops.Cli.Core.Csv;
using Mlops.Cli.Core.Ward;
using Mlops.Testing;

namespace Mlops.EndToEnd.Tests.Ward;

/// <summary>The synthetic ward the demo and the journey test share: deterministic, schema-true and learnable.</summary>
public sealed class WardGeneratorTests
{
    static readonly DateTimeOffset End = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    static Cli.Core.Ward.Ward Generate(int seed = 3) =>
        WardGenerator.Generate(new WardOptions { Patients = 500, Seed = seed, HistoryHours = 12, End = End });

    [Fact]
    public void Generate_SameSeed_SameWard()
    {
        var a = Generate();
        var b = Generate();
        Assert.Equal(a.Observations, b.Observations);
        Assert.Equal(a.Outcomes, b.Outcomes);
        Assert.NotEqual(a.Outcomes.Select(o => o.Value), Generate(seed: 4).Outcomes.Select(o => o.Value));
    }

    [Fact]
    public void Generate_CodesAndUnits_AreThoseOfTheShippedSchemas()
    {
        var file = Path.Combine(PlatformInfrastructure.RepositoryRoot, "services/ingestion/Mlops.Ingestion/observation-schemas.json");
        var schemas = JsonNode.Parse(File.ReadAllText(file))!["Ingestion"]!["Schemas"]!.AsObject();
        foreach (var code in Generate().Observations.Select(o => (o.Code, o.Unit)).Distinct())
        {
            Assert.True(schemas.ContainsKey(code.Code), $"{code.Code} has no shipped schema");
            var schema = schemas[code.Code]!;
            Assert.Equal(schema["Unit"]?.GetValue<string>(), code.Unit);
        }
    }

    [Fact]
    public void Generate_History_EndsAtEndAndLabsBecomeAvailableAfterSampling()
    {
        var ward = Generate();
        Assert.All(ward.Observations, o => Assert.True(o.EventTime <= End && (o.AvailableTime ?? o.EventTime) <= End));
        var labs = ward.Observations.Where(o => o.AvailableTime is not null).ToList();
        Assert.NotEmpty(labs);
        Assert.All(labs, o => Assert.True(o.AvailableTime >= o.EventTime + TimeSpan.FromHours(1), $"{o.ObservationId} available too early"));
        Assert.All(ward.Outcomes, o => Assert.True(o.EventTime <= End));
        Assert.Equal(ward.Observations.Count, ward.Observations.Select(o => o.ObservationId).Distinct().Count());
    }

    [Fact]
    public void Generate_Outcomes_CarrySignalInTheVitalsBeforeTheAssessment()
    {
        var ward = Generate();
        var positives = ward.Outcomes.Count(o => o.Value == 1);
        Assert.InRange(positives / (double)ward.Outcomes.Count, 0.08, 0.35);

        // The last respiratory rate before the assessment alone ranks deteriorating patients higher.
        var lastRate = ward.Observations.Where(o => o.Code == "respiratory_rate")
            .Join(ward.Outcomes, o => o.EntityId, l => l.EntityId, (o, l) => (o, l))
            .Where(x => x.o.EventTime <= x.l.EventTime)
            .GroupBy(x => x.l)
            .Select(g => (Label: g.Key.Value, Score: Convert.ToDouble(g.MaxBy(x => x.o.EventTime).o.Value)))
            .ToList();
        Assert.InRange(Auroc(lastRate), 0.65, 0.97);
    }

    [Fact]
    public void ObservationCsv_WrittenWard_ReadsBackAsTheSameApiBodies()
    {
        var ward = WardGenerator.Generate(new WardOptions { Patients = 5, HistoryHours = 3, End = End });
        using var text = new StringWriter();
        ObservationCsv.Write(text, ward.Observations);
        var read = ObservationCsv.Read(new StringReader(text.ToString()));
        Assert.Equal(ward.Observations.Count, read.Count);
        for (var i = 0; i < read.Count; i++)
        {
            var expected = ObservationCsv.ToJson(ward.Observations[i]);
            Assert.Equal(expected["observationId"]!.ToJsonString(), read[i].Body["observationId"]!.ToJsonString());
            Assert.Equal(expected["value"]!.ToJsonString(), read[i].Body["value"]!.ToJsonString());
            Assert.Equal(expected["availableTime"]?.ToJsonString(), read[i].Body["availableTime"]?.ToJsonString());
        }
    }

    static double Auroc(IReadOnlyList<(double Label, double Score)> rows)
    {
        var pos = rows.Where(r => r.Label == 1).Select(r => r.Score).ToList();
        var neg = rows.Where(r => r.Label == 0).Select(r => r.Score).ToList();
        var wins = pos.Sum(p => neg.Sum(n => p > n ? 1.0 : p == n ? 0.5 : 0));
        return wins / (pos.Count * (double)neg.Count);
    }
}
