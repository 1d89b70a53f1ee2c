using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Mlops.Cli.Core.Ward;

namespace Mlops.Cli.Core.Csv;

/// <summary>
/// The outcomes CSV: <c>entityId,value,eventTime[,name][,labelId]</c> (by header name). <c>eventTime</c> is the time
/// the outcome refers to (features are taken as known then); <c>value</c> is 1 or 0. Without a name the command's
/// label name is used; without a labelId one is derived from the row, so a file loaded twice is not counted twice.
/// </summary>
public static class OutcomeCsv
{
    /// <summary>Header of the file <see cref="Write"/> produces.</summary>
    public const string Header = "entityId,value,eventTime,name,labelId";

    /// <summary>The API body of every row, with its line number.</summary>
    public static IReadOnlyList<(int Line, JsonObject Body)> Read(TextReader reader, string defaultName)
    {
        var table = CsvTable.Read(reader);
        table.Require("entityId", "value", "eventTime");
        return table.Rows.Select(r => (r.Line, ToJson(r, defaultName))).ToList();
    }

    /// <summary>The API body of a generated outcome.</summary>
    public static JsonObject ToJson(OutcomeRow row) => new()
    {
        ["labelId"] = row.LabelId,
        ["entityId"] = row.EntityId,
        ["name"] = row.Name,
        ["value"] = row.Value,
        ["eventTime"] = row.EventTime.ToString("O", CultureInfo.InvariantCulture),
    };

    /// <summary>Writes generated outcomes in the file format <see cref="Read"/> takes.</summary>
    public static void Write(TextWriter writer, IEnumerable<OutcomeRow> rows)
    {
        writer.WriteLine(Header);
        foreach (var r in rows)
        {
            writer.WriteLine(string.Join(',',
                CsvTable.Escape(r.EntityId), r.Value.ToString(CultureInfo.InvariantCulture), r.EventTime.ToString("O", CultureInfo.InvariantCulture),
                CsvTable.Escape(r.Name), CsvTable.Escape(r.LabelId)));
        }
    }

    static JsonObject ToJson(CsvRow row, string defaultName)
    {
        var name = row["name"] ?? defaultName;
        var value = row["value"];
        var body = new JsonObject
        {
            ["labelId"] = row["labelId"] ?? DerivedId(row, name),
            ["entityId"] = row["entityId"],
            ["name"] = name,
            ["value"] = value is not null && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? JsonValue.Create(number) : JsonValue.Create(value),
            ["eventTime"] = row["eventTime"],
        };
        return body;
    }

    static string DerivedId(CsvRow row, string name)
    {
        var key = string.Join('\u001f', row["entityId"], name, row["eventTime"]);
        return "csv-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..24];
    }
}
