using Mlops.Testing;
using System.Text.Json;

namespace Mlops.Monitoring.Tests.Drift;

/// <summary>
/// Computes the reference values with Debian's scipy (never a python3 from PATH): the samples go in as a JSON file,
/// every statistic comes back as one JSON document.
/// </summary>
internal static class ReferenceScipy
{
    // Evidently's binning written out with numpy (histogram_bin_edges over both samples, 30 bins, or one bin per
    // value for ≤ 20 distinct reference values; PSI fills empty bins, JS does not).
    const string Script = """
        import json, sys
        import numpy as np
        from scipy import stats
        from scipy.spatial import distance

        def binned(ref, cur, fill):
            if len(np.unique(ref)) > 20:
                edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins=30)
                r = np.histogram(ref, edges)[0] / len(ref)
                c = np.histogram(cur, edges)[0] / len(cur)
            else:
                keys = sorted(set(ref.tolist()) | set(cur.tolist()))
                r = np.array([np.sum(ref == k) for k in keys]) / len(ref)
                c = np.array([np.sum(cur == k) for k in keys]) / len(cur)
            if fill:
                for a in (r, c):
                    m = min(a[a != 0])
                    np.place(a, a == 0, m / 10**6 if m <= 0.0001 else 0.0001)
            return r, c

        out = []
        for case in json.load(open(sys.argv[1])):
            ref = np.array(case["reference"], dtype=float)
            cur = np.array(case["current"], dtype=float)
            ks = stats.ks_2samp(ref, cur)
            keys = sorted(set(ref.tolist()) | set(cur.tolist()))
            table = np.array([[np.sum(ref == k) for k in keys], [np.sum(cur == k) for k in keys]])
            chi = stats.chi2_contingency(table) if len(keys) > 1 else (0.0, 1.0, 0)
            target = max(keys)
            p1, p2 = np.mean(ref == target), np.mean(cur == target)
            pooled = (p1 * len(ref) + p2 * len(cur)) / (len(ref) + len(cur))
            se = np.sqrt(pooled * (1 - pooled) * (1 / len(ref) + 1 / len(cur)))
            z = (p1 - p2) / se if se > 0 else 0.0
            zp = 2 * stats.norm.sf(abs(z)) if se > 0 else 1.0
            r, c = binned(ref, cur, True)
            psi = float(np.sum((r - c) * np.log(r / c)))
            jr, jc = binned(ref, cur, False)
            out.append({
                "ks": float(ks.statistic), "ks_p": float(ks.pvalue),
                "chi2": float(chi[0]), "chi2_p": float(chi[1]), "chi2_dof": int(chi[2]),
                "z": float(z), "z_p": float(zp),
                "wasserstein": float(stats.wasserstein_distance(ref, cur)),
                "wasserstein_norm": float(stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)),
                "js": float(distance.jensenshannon(jr, jc)),
                "psi": psi,
            })
        print(json.dumps(out))
        """;

    public static IReadOnlyList<JsonElement> Compute(IReadOnlyList<(double[] Reference, double[] Current)> cases)
        => ReferencePython.RunOn(Script, cases.Select(c => new { reference = c.Reference, current = c.Current })).EnumerateArray().ToList();
}
