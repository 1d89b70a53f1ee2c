using Npgsql;

namespace Mlops.Testing;

/// <summary>
/// CPU used by the PostgreSQL backends serving the pipeline's databases, read from <c>/proc/&lt;pid&gt;/stat</c> of each
/// backend <c>pg_stat_activity</c> lists for them (same machine). A backend that ended between two snapshots is lost,
/// so this is a lower bound; the services' pools keep their connections open for the minutes a run lasts.
/// </summary>
public static class PostgresCpu
{
    // USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux the platform runs on.
    const double TicksPerSecond = 100;

    public static async Task<Dictionary<int, (string Database, double Milliseconds)>> SnapshotAsync(IEnumerable<string> databases)
    {
        var cpu = new Dictionary<int, (string, double)>();
        await using var server = NpgsqlDataSource.Create(PlatformInfrastructure.ConnectionString("postgres"));
        await using var command = server.CreateCommand("SELECT pid, datname FROM pg_stat_activity WHERE datname = ANY($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = databases.ToArray() });
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var pid = reader.GetInt32(0);
            try
            {
                // Fields after the command name in parentheses: state is the 3rd field, utime the 14th, stime the 15th.
                var stat = await File.ReadAllTextAsync($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                cpu[pid] = (reader.GetString(1), (long.Parse(fields[11]) + long.Parse(fields[12])) * 1000 / TicksPerSecond);
            }
            catch (IOException)
            {
                // The backend ended meanwhile.
            }
        }

        return cpu;
    }

    /// <summary>CPU milliseconds used between two snapshots by the backends in <paramref name="after"/> of <paramref name="database"/>.</summary>
    public static double Between(Dictionary<int, (string Database, double Milliseconds)> before, Dictionary<int, (string Database, double Milliseconds)> after, string database) =>
        after.Where(a => a.Value.Database == database).Sum(a => a.Value.Milliseconds - (before.TryGetValue(a.Key, out var b) && b.Database == database ? b.Milliseconds : 0));
}
