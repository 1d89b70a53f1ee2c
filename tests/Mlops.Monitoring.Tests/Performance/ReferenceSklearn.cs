using Mlops.Testing;
using System.Text.Json;

namespace Mlops.Monitoring.Tests.Performance;

/// <summary>Classification scores from Debian's scikit-learn (never a python3 from PATH), one JSON document per case.</summary>
internal static class ReferenceSklearn
{
    // ECE written out with numpy: 10 equal-width bins, index floor(10·p) with p = 1 in the last.
    const string Script = """
        import json, sys
        import numpy as np
        from sklearn.metrics import roc_auc_score, average_precision_score, brier_score_loss

        out = []
        for case in json.load(open(sys.argv[1])):
            p = np.array(case["scores"], dtype=float)
            y = np.array(case["outcomes"], dtype=int)
            idx = np.minimum(np.floor(p * 10).astype(int), 9)
            ece = sum(np.sum(idx == b) / len(p) * abs(y[idx == b].mean() - p[idx == b].mean()) for b in range(10) if np.any(idx == b))
            out.append({
                "auroc": float(roc_auc_score(y, p)),
                "ap": float(average_precision_score(y, p)),
                "brier": float(brier_score_loss(y, p)),
                "ece": float(ece),
            })
        print(json.dumps(out))
        """;

    public static IReadOnlyList<JsonElement> Compute(IReadOnlyList<(double[] Scores, int[] Outcomes)> cases)
        => ReferencePython.RunOn(Script, cases.Select(c => new { scores = c.Scores, outcomes = c.Outcomes })).EnumerateArray().ToList();
}
