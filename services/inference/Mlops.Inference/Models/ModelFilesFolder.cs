namespace Mlops.Inference.Models;

/// <summary>Confines a requested artifact path to <see cref="InferenceOptions.ModelFilesDirectory"/>.</summary>
public static class ModelFilesFolder
{
    /// <summary>
    /// The full path of <paramref name="requested"/> inside <paramref name="root"/>, or the reason it is refused: an
    /// absolute path, one that climbs out with <c>..</c>, or a link (the file or a folder on the way) that points outside.
    /// </summary>
    public static bool TryResolve(string root, string requested, out string fullPath, out string error)
    {
        fullPath = "";
        var folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root)) + Path.DirectorySeparatorChar;
        if (Path.IsPathRooted(requested) || requested.Contains('\0', StringComparison.Ordinal))
        {
            error = "'path' must be relative to the models folder (Inference:ModelFilesDirectory), not an absolute path.";
            return false;
        }

        var candidate = Path.GetFullPath(Path.Combine(folder, requested));
        if (!candidate.StartsWith(folder, StringComparison.Ordinal))
        {
            error = "'path' leads outside the models folder (Inference:ModelFilesDirectory).";
            return false;
        }

        // Links are followed to their final target, which must stay inside too.
        for (var step = candidate; step.Length > folder.Length; step = Path.GetDirectoryName(step)!)
        {
            FileSystemInfo entry = Directory.Exists(step) ? new DirectoryInfo(step) : new FileInfo(step);
            if (entry.LinkTarget is not null
                && entry.ResolveLinkTarget(returnFinalTarget: true) is { } target
                && !Path.GetFullPath(target.FullName).StartsWith(folder, StringComparison.Ordinal))
            {
                error = "'path' goes through a link that leads outside the models folder (Inference:ModelFilesDirectory).";
                return false;
            }
        }

        fullPath = candidate;
        error = "";
        return true;
    }
}
