namespace Mlops.Inference.Models;

/// <summary>
/// Per-feature contributions in log-odds, measured from a baseline vector: the model runs once on the input, once on
/// the baseline and once per feature with only that feature set to its baseline value, all in one batch. For each
/// ensemble member the contribution of feature i is logit(p(x)) − logit(p(x with x_i = baseline_i)), averaged over
/// members. For models linear in log-odds (logistic regression and ensembles of them) this is exact, w_i·(x_i − b_i),
/// and the contributions sum to logit(x) − logit(baseline).
/// Tree-ensemble graphs are explained by path attribution instead (<see cref="TreeEnsembleAttribution"/>): the
/// baseline is then the bias (the trees' expected value) and the contributions sum to the raw score minus it.
/// </summary>
public sealed record Contributions(IReadOnlyDictionary<string, double> ByFeature, double BaselineLogOdds, string Method = ContributionMethods.Occlusion);

/// <summary>How contributions were computed.</summary>
public static class ContributionMethods
{
    /// <summary>Occlusion against the configured baseline vector.</summary>
    public const string Occlusion = "occlusion";

    /// <summary>Saabas path attribution over the model's decision trees.</summary>
    public const string TreePath = "tree-path";
}

internal static class ContributionCalculator
{
    public static Contributions Compute(LoadedModel model, float[] row)
    {
        if (model.Trees is { } trees)
        {
            var (values, bias) = trees.Explain(row);
            var explained = new Dictionary<string, double>(values.Length, StringComparer.Ordinal);
            for (var i = 0; i < values.Length; i++)
            {
                explained[model.Features[i]] = values[i];
            }

            return new Contributions(explained, bias, ContributionMethods.TreePath);
        }

        var features = model.Features;
        var width = features.Count;
        var baseline = features.Select(f => (float)model.Deployment.Baseline.GetValueOrDefault(f)).ToArray();
        var rows = new float[(width + 2) * width];
        row.CopyTo(rows, 0);
        baseline.CopyTo(rows, width);
        for (var i = 0; i < width; i++)
        {
            var target = rows.AsSpan((i + 2) * width, width);
            row.CopyTo(target);
            target[i] = baseline[i];
        }

        var logits = model.MemberLogOdds(rows, width + 2);
        var members = logits.GetLength(1);
        double MeanLogit(int r)
        {
            double sum = 0;
            for (var m = 0; m < members; m++)
            {
                sum += logits[r, m];
            }

            return sum / members;
        }

        var input = MeanLogit(0);
        var byFeature = new Dictionary<string, double>(width, StringComparer.Ordinal);
        for (var i = 0; i < width; i++)
        {
            byFeature[features[i]] = input - MeanLogit(i + 2);
        }

        return new Contributions(byFeature, MeanLogit(1));
    }
}
