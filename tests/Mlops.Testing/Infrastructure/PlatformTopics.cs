namespace Mlops.Testing.Infrastructure;

/// <summary>
/// The platform's Kafka topics as <c>infra/local/topics.txt</c> lists them (one name a line, <c>#</c> comments): the
/// file infra.sh creates topics from, and the container path too. A unit test keeps it equal to
/// <c>Mlops.Contracts.Kafka.Topics</c>.
/// </summary>
public static class PlatformTopics
{
    /// <summary>The file, relative to the repository root.</summary>
    public const string RelativePath = "infra/local/topics.txt";

    /// <summary>Partitions per platform topic, as infra.sh creates them.</summary>
    public const int Partitions = 3;

    /// <summary>Parses the file's lines the way infra.sh does (comments and blanks dropped).</summary>
    public static IReadOnlyList<string> Parse(IEnumerable<string> lines) =>
        [.. lines.Select(line => (line.IndexOf('#', StringComparison.Ordinal) is var hash and >= 0 ? line[..hash] : line).Trim())
                 .Where(name => name.Length > 0)];

    /// <summary>The topics in the repository's file.</summary>
    public static IReadOnlyList<string> Read(string repositoryRoot) =>
        Parse(File.ReadLines(Path.Combine(repositoryRoot, RelativePath)));
}
