using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Mlops.Testing;

/// <summary>
/// Runs Debian's python3 (never a python3 from PATH, which may lack SciPy and scikit-learn) for reference values the
/// tests compare the platform's own computations with.
/// </summary>
public static class ReferencePython
{
    public const string Interpreter = "/usr/bin/python3";

    /// <summary>Runs <paramref name="script"/> with <paramref name="args"/> and reads the JSON document it prints.</summary>
    public static JsonElement Run(string script, params string[] args)
    {
        var file = Path.Combine(Path.GetTempPath(), $"mlops-ref-{Guid.NewGuid():N}.py");
        File.WriteAllText(file, script);
        try
        {
            return JsonDocument.Parse(Execute([file, .. args])).RootElement.Clone();
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Runs <paramref name="data"/> serialized as JSON through <paramref name="script"/>, which gets the data file's path as its argument.</summary>
    public static JsonElement RunOn(string script, object data)
    {
        var file = Path.Combine(Path.GetTempPath(), $"mlops-ref-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, JsonSerializer.Serialize(data));
        try
        {
            return Run(script, file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Runs a one-line <paramref name="script"/> (<c>python3 -c</c>) that prints one number.</summary>
    public static double Evaluate(string script) => double.Parse(Execute(["-c", script]).Trim(), CultureInfo.InvariantCulture);

    static string Execute(IEnumerable<string> arguments)
    {
        var psi = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        psi.Environment["OMP_NUM_THREADS"] = "2";
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"reference script failed ({process.ExitCode}): {stderr.Result}");
        }

        return stdout;
    }
}
