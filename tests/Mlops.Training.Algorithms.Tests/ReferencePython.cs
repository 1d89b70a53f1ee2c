using System.Diagnostics;
using System.Text.Json;

namespace Mlops.Training.Algorithms.Tests;

/// <summary>Runs Debian's scikit-learn/onnx (never a python3 from PATH) and reads back one JSON document.</summary>
internal static class ReferencePython
{
    public const string Interpreter = "/usr/bin/python3";

    public static JsonElement Run(string script, params string[] args)
    {
        var file = Path.Combine(Path.GetTempPath(), $"mlops-ref-{Guid.NewGuid():N}.py");
        File.WriteAllText(file, script);
        try
        {
            var psi = new ProcessStartInfo(Interpreter) { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add(file);
            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
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

            return JsonDocument.Parse(stdout).RootElement.Clone();
        }
        finally
        {
            File.Delete(file);
        }
    }
}
