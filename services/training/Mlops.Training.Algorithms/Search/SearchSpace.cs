using System.Globalization;

namespace Mlops.Training.Algorithms.Search;

/// <summary>One hyperparameter's domain. Grid search uses <see cref="GridValues"/>; random search <see cref="Sample"/>.</summary>
public abstract record ParameterDomain(string Name)
{
    public abstract IReadOnlyList<double> GridValues { get; }

    public abstract double Sample(Random rng);
}

/// <summary>A fixed list of values.</summary>
public sealed record ChoiceDomain(string Name, IReadOnlyList<double> Values) : ParameterDomain(Name)
{
    public override IReadOnlyList<double> GridValues => Values;

    public override double Sample(Random rng) => Values[rng.Next(Values.Count)];
}

/// <summary>A continuous range, sampled uniformly (or log-uniformly); a grid takes <paramref name="GridPoints"/> evenly spaced points.</summary>
public sealed record RangeDomain(string Name, double Low, double High, bool Log = false, bool Integer = false, int GridPoints = 3) : ParameterDomain(Name)
{
    public override IReadOnlyList<double> GridValues =>
        Enumerable.Range(0, GridPoints).Select(i => Round(At(GridPoints == 1 ? 0.5 : (double)i / (GridPoints - 1)))).Distinct().ToArray();

    public override double Sample(Random rng) => Round(At(rng.NextDouble()));

    private double At(double u) => Log ? Math.Exp(Math.Log(Low) + u * (Math.Log(High) - Math.Log(Low))) : Low + u * (High - Low);

    private double Round(double v) => Integer ? Math.Round(v) : v;
}

/// <summary>The declared space: parameter domains in a fixed order (the order trials enumerate them in).</summary>
public sealed class SearchSpace
{
    public SearchSpace(params ParameterDomain[] parameters)
    {
        var duplicate = parameters.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1);
        if (parameters.Length == 0 || duplicate is not null)
        {
            throw new ArgumentException(duplicate is null ? "A search space needs at least one parameter." : $"Parameter '{duplicate.Key}' is declared twice.");
        }

        foreach (var p in parameters)
        {
            if (p is RangeDomain r && (r.High < r.Low || (r.Log && r.Low <= 0) || r.GridPoints < 1))
            {
                throw new ArgumentException($"Parameter '{p.Name}': invalid range [{r.Low}, {r.High}].");
            }

            if (p is ChoiceDomain c && c.Values.Count == 0)
            {
                throw new ArgumentException($"Parameter '{p.Name}': no values.");
            }
        }

        Parameters = parameters;
    }

    public IReadOnlyList<ParameterDomain> Parameters { get; }
}

/// <summary>One point of the space to evaluate.</summary>
public sealed record Trial(int Index, IReadOnlyDictionary<string, double> Parameters)
{
    public override string ToString() =>
        $"#{Index} " + string.Join(", ", Parameters.Select(p => $"{p.Key}={p.Value.ToString("G6", CultureInfo.InvariantCulture)}"));
}
