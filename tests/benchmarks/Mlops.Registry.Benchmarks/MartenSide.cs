using JasperFx.Events;
using Marten;
using Npgsql;
using Weasel.Core;

namespace Mlops.Registry.Benchmarks;

/// <summary>Marten configured as the registry configures it (string stream keys, rich appends, mapped type name, System.Text.Json).</summary>
internal sealed class MartenSide(DocumentStore store) : IAsyncDisposable
{
    public static async Task<MartenSide> CreateAsync(NpgsqlDataSource dataSource, string schema)
    {
        var store = DocumentStore.For(o =>
        {
            o.Connection(dataSource);
            o.DatabaseSchemaName = schema;
            o.UseSystemTextJsonForSerialization(EnumStorage.AsString, Casing.CamelCase);
            o.Events.StreamIdentity = StreamIdentity.AsString;
            o.Events.AppendMode = EventAppendMode.Rich;
            o.Events.MapEventType<MetricRecorded>("bench.metric-recorded.v1");
        });
        await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
        return new MartenSide(store);
    }

    /// <summary>One append with the expected version: the stream is at <paramref name="version"/> before it (0 = new stream).</summary>
    public async Task AppendAsync(string stream, long version, IReadOnlyList<object> events)
    {
        await using var session = store.LightweightSession();
        if (version == 0)
        {
            session.Events.StartStream(stream, events.ToArray());
        }
        else
        {
            session.Events.Append(stream, version + events.Count, events.ToArray());
        }

        await session.SaveChangesAsync();
    }

    public async Task<IReadOnlyList<IEvent>> LoadAsync(string stream, DateTimeOffset? asOf = null)
    {
        await using var session = store.QuerySession();
        return await session.Events.FetchStreamAsync(stream, timestamp: asOf);
    }

    public ValueTask DisposeAsync() => store.DisposeAsync();
}
