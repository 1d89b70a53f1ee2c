using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Mlops.Cli.Core.Ward;

namespace Mlops.Cli.Core.Csv;

/// <summary>
/// The observations CSV: <c>entityId,code,value,unit,eventTime[,availableTime][,observationId][,sourceSystem]</c> (by
/// header name). Cells go to the API as they are, so the ingestion service, not the command, judges them and names
/// the field of any problem. Without an observationId one is derived from the row, so loading a file twice gives
/// duplicates rather than double counts.
/// </summary>
public static class ObservationCsv
{
    /// <summary>Header of the file <see cref="Write"/> produces.</summary>
    public const string Header = "entityId,code,value,unit,eventTime,availableTime,observationId,sourceSystem";

    /// <summary>The API body of every row, with its line number.</summary>
    public static IReadOnlyList<(int Line, JsonObject Body)> Read(TextReader reader, string defaultSourceSystem = "mlops-cli")
    {
        var table = CsvTable.Read(reader);
        table.Require("entityId", "code", "value", "eventTime");
        return table.Rows.Select(r => (r.Line, ToJson(r, defaultSourceSystem))).ToList();
    }

    /// <summary>The API body of a generated observation.</summary>
    public static JsonObject ToJson(ObservationRow row)
    {
        var body = new JsonObject
        {
            ["observationId"] = row.ObservationId,
            ["entityId"] = row.EntityId,
            ["code"] = row.Code,
            ["value"] = row.Value is string text ? JsonValue.Create(text) : JsonValue.Create(Convert.ToDouble(row.Value, CultureInfo.InvariantCulture)),
            ["eventTime"] = row.EventTime.ToString("O", CultureInfo.InvariantCulture),
            ["sourceSystem"] = row.SourceSystem,
        };
        if (row.Unit is not null)
        {
            body["unit"] = row.Unit;
        }

        if (row.AvailableTime is { } available)
        {
            body["availableTime"] = available.ToString("O", CultureInfo.InvariantCulture);
        }

        return body;
    }

    /// <summary>Writes generated observations in the file format <see cref="Read"/> takes.</summary>
    public static void Write(TextWriter writer, IEnumerable<ObservationRow> rows)
    {
        writer.WriteLine(Header);
        foreach (var r in rows)
        {
            writer.Write(CsvTable.Escape(r.EntityId));
            writer.Write(',');
            writer.Write(CsvTable.Escape(r.Code));
            writer.Write(',');
            writer.Write(CsvTable.Escape(Convert.ToString(r.Value, CultureInfo.InvariantCulture)));
            writer.Write(',');
            writer.Write(CsvTable.Escape(r.Unit));
            writer.Write(',');
            writer.Write(r.EventTime.ToString("O", CultureInfo.InvariantCulture));
            writer.Write(',');
            writer.Write(r.AvailableTime?.ToString("O", CultureInfo.InvariantCulture) ?? "");
            writer.Write(',');
            writer.Write(CsvTable.Escape(r.ObservationId));
            writer.Write(',');
            writer.WriteLine(CsvTable.Escape(r.SourceSystem));
        }
    }

    static JsonObject ToJson(CsvRow row, string defaultSourceSystem)
    {
        var value = row["value"];
        JsonNode? valueNode = value is null ? null
            : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? JsonValue.Create(number) : JsonValue.Create(value);
        var body = new JsonObject
        {
            ["observationId"] = row["observationId"] ?? DerivedId(row),
            ["entityId"] = row["entityId"],
            ["code"] = row["code"],
            ["value"] = valueNode,
            ["eventTime"] = row["eventTime"],
            ["sourceSystem"] = row["sourceSystem"] ?? defaultSourceSystem,
        };
        if (row["unit"] is { } unit)
        {
            body["unit"] = unit;
        }

        if (row["availableTime"] is { } available)
        {
            body["availableTime"] = available;
        }

        return body;
    }

    static string DerivedId(CsvRow row)
    {
        var key = string.Join('\u001f', row["entityId"], row["code"], row["eventTime"], row["value"], row["unit"]);
        return "csv-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..24];
    }
}
