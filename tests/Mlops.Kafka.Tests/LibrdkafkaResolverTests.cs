using Confluent.Kafka;

namespace Mlops.Kafka.Tests;

public sealed class LibrdkafkaResolverTests
{
    [Fact]
    public void Resolver_WhenTheClientFirstCallsIntoLibrdkafka_LoadsTheRedistsSelfContainedBuildAndNoOtherCopy()
    {
        LibrdkafkaResolver.Register();

        // Any call into the native library makes the runtime ask the resolver (once per process).
        Assert.NotEmpty(Library.VersionString);

        var expected = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "centos8-librdkafka.so");
        Assert.Equal(expected, LibrdkafkaResolver.LoadedPath);

        // A distribution's librdkafka (Debian's librdkafka1 is still installed on some machines) must not be mapped too.
        var mapped = File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 6 && fields[5].Contains("librdkafka", StringComparison.Ordinal))
            .Select(fields => fields[5])
            .Distinct()
            .ToList();
        Assert.Equal([expected], mapped);
    }

    [Fact]
    public void Resolver_Registered_TheLoadedLibraryIsTheVersionOfTheClient()
    {
        LibrdkafkaResolver.Register();

        // Confluent.Kafka and librdkafka.redist are released in lockstep: 2.16.0 of one needs 2.16.0 of the other.
        var client = typeof(Library).Assembly.GetName().Version!;
        Assert.StartsWith($"{client.Major}.{client.Minor}.{client.Build}", Library.VersionString, StringComparison.Ordinal);
    }
}
