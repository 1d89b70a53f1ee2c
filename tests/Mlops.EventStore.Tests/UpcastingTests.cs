using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;

namespace Mlops.EventStore.Tests;

public sealed class UpcastingTests
{
    [Fact]
    public async Task Load_EventStoredUnderOldTypeName_IsUpcastToTheCurrentType()
    {
        var schema = StoreHost.NewSchema();
        try
        {
            using (var oldHost = await StoreHost.StartAsync(schema, t => t.Register<LengthMeasuredV1>("tests.length-measured.v1")))
            {
                await oldHost.Services.GetRequiredService<IEventStore>().AppendAsync("len", ExpectedVersion.NoStream, [new LengthMeasuredV1 { Centimetres = 250 }]);
                await oldHost.StopAsync();
            }

            // The new code knows only the v2 name and type; v1 payloads are rewritten on read.
            using var newHost = await StoreHost.StartAsync(schema, t => t
                .Register<LengthMeasured>("tests.length-measured.v2")
                .Upcast("tests.length-measured.v1", "tests.length-measured.v2", old => new JsonObject
                {
                    ["metres"] = old["centimetres"]!.GetValue<double>() / 100,
                    ["unit"] = "m",
                }));
            var store = newHost.Services.GetRequiredService<IEventStore>();
            await store.AppendAsync("len", 1, [new LengthMeasured { Metres = 3, Unit = "m" }]);

            var loaded = await store.LoadAsync("len");

            Assert.Equal([new LengthMeasured { Metres = 2.5, Unit = "m" }, new LengthMeasured { Metres = 3, Unit = "m" }], loaded.Events.Select(e => e.Data));
            Assert.All(loaded.Events, e => Assert.Equal("tests.length-measured.v2", e.EventType));
            await newHost.StopAsync();
        }
        finally
        {
            await StoreHost.DropSchemaAsync(schema);
        }
    }

    [Fact]
    public void Register_SameNameForTwoTypes_IsRefused()
    {
        var types = new EventTypeRegistry().Register<ThingHappened>();

        Assert.Throws<InvalidOperationException>(() => types.Register<ThingRenamed>("tests.thing-happened.v1"));
    }
}
