using System.Diagnostics;
using System.Globalization;

namespace Mlops.Gateway.Tests;

/// <summary>Runs Debian's python3 with SciPy (never a python3 from PATH) on one expression and reads back a number.</summary>
internal static class ReferencePython
{
    public const string Interpreter = "/usr/bin/python3";

    public static double Evaluate(string script)
    {
        var psi = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"reference script failed ({process.ExitCode}): {stderr.Result}");
        }

        return double.Parse(stdout.Trim(), CultureInfo.InvariantCulture);
    }
}
