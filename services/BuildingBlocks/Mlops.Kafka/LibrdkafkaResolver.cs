using System.Reflection;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace Mlops.Kafka;

/// <summary>
/// Points Confluent.Kafka at the native library of the librdkafka.redist package. Without it the client binds to
/// whatever <c>librdkafka</c> the system loader finds first (an old distribution package if one is installed), and on
/// Debian the redist's default <c>librdkafka.so</c> cannot load at all: it needs <c>libsasl2.so.3</c>, which Debian
/// does not ship, while <c>centos8-librdkafka.so</c> beside it links only what every glibc system has. Confluent's
/// loader also imports <c>libdl</c>, which the runtime finds only as <c>libdl.so.2</c>.
/// </summary>
public static class LibrdkafkaResolver
{
    // The redist's Linux builds in order of preference: self-contained first, then the one needing libsasl2.so.3.
    static readonly string[] LinuxCandidates = ["centos8-librdkafka.so", "librdkafka.so"];

    static int _registered;

    /// <summary>The file the resolver loaded for <c>librdkafka</c>; null until the first client needed it, or off Linux.</summary>
    public static string? LoadedPath { get; private set; }

    /// <summary>
    /// Registers the resolver on Confluent.Kafka's assembly; safe to call any number of times, must run before the
    /// first client is built (the runtime asks a resolver only on the first call into the library).
    /// </summary>
    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(Library).Assembly, Resolve);
        }
    }

    /// <summary>Where the redist's native files for this process lie, in the order they are searched.</summary>
    public static IEnumerable<string> NativeDirectories()
    {
        var baseDirectory = AppContext.BaseDirectory;
        var architecture = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();

        // A framework-dependent build keeps runtimes/<rid>/native; a build for one runtime copies the files beside the app.
        yield return Path.Combine(baseDirectory, "runtimes", "linux-" + architecture, "native");
        yield return baseDirectory;
    }

    static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!OperatingSystem.IsLinux())
        {
            return IntPtr.Zero;
        }

        return libraryName switch
        {
            "librdkafka" => LoadRedist(),
            "libdl" => NativeLibrary.TryLoad("libdl.so.2", out var handle) ? handle : IntPtr.Zero,
            _ => IntPtr.Zero,
        };
    }

    static IntPtr LoadRedist()
    {
        foreach (var directory in NativeDirectories())
        {
            foreach (var name in LinuxCandidates)
            {
                var path = Path.Combine(directory, name);
                if (File.Exists(path) && NativeLibrary.TryLoad(path, out var handle))
                {
                    LoadedPath = path;
                    return handle;
                }
            }
        }

        // Never fall back to the system's search: it would bind to a distribution package of another version.
        throw new DllNotFoundException(
            "librdkafka from the librdkafka.redist package was not found or did not load; looked for " +
            string.Join(", ", LinuxCandidates) + " in " + string.Join(", ", NativeDirectories()));
    }
}
