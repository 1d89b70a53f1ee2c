using Mlops.Training.Algorithms.Data;

namespace Mlops.Training.Algorithms.Linear;

/// <summary>Settings of L2-regularised logistic regression on standardised features.</summary>
public sealed record LogisticRegressionOptions
{
    /// <summary>Penalty λ in Σ log-loss + λ/2·‖w‖² (the intercept is not penalised); scikit-learn's C is 1/λ.</summary>
    public double L2 { get; init; } = 1.0;

    public int MaxIterations { get; init; } = 100;

    /// <summary>Stop when the largest gradient component falls below this.</summary>
    public double Tolerance { get; init; } = 1e-8;

    public void Validate()
    {
        if (L2 <= 0 || MaxIterations < 1 || Tolerance <= 0)
        {
            throw new ArgumentException($"Invalid logistic regression options: {nameof(L2)} must be > 0, {nameof(MaxIterations)} ≥ 1, {nameof(Tolerance)} > 0.");
        }
    }
}

/// <summary>
/// A logistic regression whose standardisation (and mean imputation of missing values) is folded into raw-space
/// weights: p = sigmoid(b + Σ w_j·x_j) with NaN replaced by the training mean.
/// </summary>
public sealed class LogisticRegressionModel : IBinaryClassifier
{
    public LogisticRegressionModel(double[] weights, double intercept, float[] fillValues)
    {
        Weights = weights;
        Intercept = intercept;
        FillValues = fillValues;
    }

    public double[] Weights { get; }

    public double Intercept { get; }

    /// <summary>Value substituted for a missing feature (its training mean).</summary>
    public float[] FillValues { get; }

    public int FeatureCount => Weights.Length;

    public double PredictRaw(ReadOnlySpan<float> row)
    {
        var z = Intercept;
        for (var j = 0; j < Weights.Length; j++)
        {
            var x = row[j];
            z += Weights[j] * (float.IsNaN(x) ? FillValues[j] : x);
        }

        return z;
    }

    public double PredictProbability(ReadOnlySpan<float> row) => 1.0 / (1.0 + Math.Exp(-PredictRaw(row)));
}

/// <summary>Fits by Newton's method with step halving on the standardised problem (d is small; it converges in a few steps).</summary>
public static class LogisticRegressionTrainer
{
    public static LogisticRegressionModel Fit(TabularData data, LogisticRegressionOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        using var activity = TrainingTelemetry.Source.StartActivity("logistic_regression.fit");
        int n = data.Rows, d = data.Columns, p = d + 1;
        var (mean, std) = Moments(data);
        var z = new double[n * d];
        Parallel.For(0, n, r =>
        {
            for (var j = 0; j < d; j++)
            {
                var x = data.Features[r * d + j];
                z[r * d + j] = float.IsNaN(x) || std[j] == 0 ? 0 : (x - mean[j]) / std[j];
            }
        });

        var beta = new double[p];
        var current = Objective(z, data.Labels, beta, n, d, options.L2);
        for (var iter = 0; iter < options.MaxIterations; iter++)
        {
            var (grad, hessian) = GradientAndHessian(z, data.Labels, beta, n, d, options.L2);
            if (grad.Max(Math.Abs) < options.Tolerance)
            {
                break;
            }

            var step = CholeskySolve(hessian, grad, p);
            var t = 1.0;
            var improved = false;
            for (var halving = 0; halving < 30; halving++)
            {
                var candidate = new double[p];
                for (var k = 0; k < p; k++)
                {
                    candidate[k] = beta[k] - t * step[k];
                }

                var value = Objective(z, data.Labels, candidate, n, d, options.L2);
                if (value <= current)
                {
                    beta = candidate;
                    improved = current - value > 1e-14 * Math.Max(1, Math.Abs(current));
                    current = value;
                    break;
                }

                t /= 2;
            }

            if (!improved)
            {
                break;
            }
        }

        var weights = new double[d];
        var intercept = beta[d];
        for (var j = 0; j < d; j++)
        {
            weights[j] = std[j] == 0 ? 0 : beta[j] / std[j];
            intercept -= weights[j] * mean[j];
        }

        return new LogisticRegressionModel(weights, intercept, mean.Select(m => (float)m).ToArray());
    }

    private static (double[] Mean, double[] Std) Moments(TabularData data)
    {
        int n = data.Rows, d = data.Columns;
        var mean = new double[d];
        var std = new double[d];
        for (var j = 0; j < d; j++)
        {
            double sum = 0, sq = 0;
            var count = 0;
            for (var r = 0; r < n; r++)
            {
                var x = data.Features[r * d + j];
                if (!float.IsNaN(x))
                {
                    sum += x;
                    count++;
                }
            }

            mean[j] = count == 0 ? 0 : sum / count;
            for (var r = 0; r < n; r++)
            {
                var x = data.Features[r * d + j];
                if (!float.IsNaN(x))
                {
                    sq += (x - mean[j]) * (x - mean[j]);
                }
            }

            std[j] = count == 0 ? 0 : Math.Sqrt(sq / count);
            if (std[j] < 1e-12)
            {
                std[j] = 0;
            }
        }

        return (mean, std);
    }

    private static double Objective(double[] z, float[] y, double[] beta, int n, int d, double l2)
    {
        double loss = 0;
        for (var r = 0; r < n; r++)
        {
            var s = Linear(z, beta, r, d);
            var m = y[r] > 0.5f ? s : -s;
            loss += m > 0 ? Math.Log(1 + Math.Exp(-m)) : -m + Math.Log(1 + Math.Exp(m));
        }

        double penalty = 0;
        for (var j = 0; j < d; j++)
        {
            penalty += beta[j] * beta[j];
        }

        return loss + 0.5 * l2 * penalty;
    }

    private static (double[] Gradient, double[] Hessian) GradientAndHessian(double[] z, float[] y, double[] beta, int n, int d, double l2)
    {
        var p = d + 1;
        var workers = Math.Max(1, Math.Min(Environment.ProcessorCount, n / 2048));
        var grads = new double[workers][];
        var hessians = new double[workers][];
        // Fixed row blocks per worker and a fixed-order reduction keep the result identical run to run.
        Parallel.For(0, workers, w =>
        {
            var g = new double[p];
            var h = new double[p * p];
            var start = (int)((long)n * w / workers);
            var end = (int)((long)n * (w + 1) / workers);
            var x = new double[p];
            for (var r = start; r < end; r++)
            {
                Array.Copy(z, r * d, x, 0, d);
                x[d] = 1;
                var prob = 1.0 / (1.0 + Math.Exp(-Linear(z, beta, r, d)));
                var residual = prob - y[r];
                var weight = prob * (1 - prob);
                for (var a = 0; a < p; a++)
                {
                    g[a] += residual * x[a];
                    var wa = weight * x[a];
                    for (var b = 0; b <= a; b++)
                    {
                        h[a * p + b] += wa * x[b];
                    }
                }
            }

            grads[w] = g;
            hessians[w] = h;
        });

        var grad = new double[p];
        var hess = new double[p * p];
        for (var w = 0; w < workers; w++)
        {
            for (var k = 0; k < p; k++)
            {
                grad[k] += grads[w][k];
            }

            for (var k = 0; k < p * p; k++)
            {
                hess[k] += hessians[w][k];
            }
        }

        for (var a = 0; a < p; a++)
        {
            for (var b = a + 1; b < p; b++)
            {
                hess[a * p + b] = hess[b * p + a];
            }
        }

        for (var j = 0; j < d; j++)
        {
            grad[j] += l2 * beta[j];
            hess[j * p + j] += l2;
        }

        hess[d * p + d] += 1e-12;
        return (grad, hess);
    }

    private static double Linear(double[] z, double[] beta, int r, int d)
    {
        var s = beta[d];
        var row = z.AsSpan(r * d, d);
        for (var j = 0; j < d; j++)
        {
            s += beta[j] * row[j];
        }

        return s;
    }

    private static double[] CholeskySolve(double[] a, double[] b, int p)
    {
        var l = new double[p * p];
        for (var i = 0; i < p; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var sum = a[i * p + j];
                for (var k = 0; k < j; k++)
                {
                    sum -= l[i * p + k] * l[j * p + k];
                }

                l[i * p + j] = i == j ? Math.Sqrt(Math.Max(sum, 1e-300)) : sum / l[j * p + j];
            }
        }

        var y = new double[p];
        for (var i = 0; i < p; i++)
        {
            var sum = b[i];
            for (var k = 0; k < i; k++)
            {
                sum -= l[i * p + k] * y[k];
            }

            y[i] = sum / l[i * p + i];
        }

        var x = new double[p];
        for (var i = p - 1; i >= 0; i--)
        {
            var sum = y[i];
            for (var k = i + 1; k < p; k++)
            {
                sum -= l[k * p + i] * x[k];
            }

            x[i] = sum / l[i * p + i];
        }

        return x;
    }
}
