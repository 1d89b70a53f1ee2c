using System.Runtime.CompilerServices;

namespace Mlops.Kafka.Tests;

// Services register the librdkafka resolver when they add Kafka, before any client exists. A test process is not a
// service: some tests call into librdkafka directly (a KafkaException's message comes from the native library), and
// whichever test ran first would otherwise load the library by the runtime's default probing, behind the resolver's back.
internal static class ResolverModuleInitializer
{
#pragma warning disable CA2255 // Registering a native resolver before any code of this test assembly runs is the point.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() => LibrdkafkaResolver.Register();
}
