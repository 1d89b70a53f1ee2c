using System.Text;

namespace Mlops.Cli.Core.Csv;

/// <summary>
/// A CSV file read by header name (case-insensitive, any column order): RFC 4180 quoting, comma separator,
/// blank lines skipped. Each row knows its line number for error messages.
/// </summary>
public sealed class CsvTable
{
    readonly Dictionary<string, int> _columns;

    CsvTable(Dictionary<string, int> columns, List<CsvRow> rows)
    {
        _columns = columns;
        Rows = rows;
    }

    /// <summary>The data rows.</summary>
    public IReadOnlyList<CsvRow> Rows { get; }

    /// <summary>Whether the header names <paramref name="column"/>.</summary>
    public bool Has(string column) => _columns.ContainsKey(column);

    /// <summary>Reads a file; the first non-blank line is the header.</summary>
    public static CsvTable Read(TextReader reader)
    {
        Dictionary<string, int>? columns = null;
        var rows = new List<CsvRow>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var start = lineNumber;
            var fields = Split(line, reader, ref lineNumber);
            if (columns is null)
            {
                columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
                for (var i = 0; i < fields.Count; i++)
                {
                    columns[fields[i].Trim()] = i;
                }

                continue;
            }

            rows.Add(new CsvRow(start, fields, columns));
        }

        return new CsvTable(columns ?? throw new FormatException("the file is empty (a header line is expected)"), rows);
    }

    /// <summary>Fails with the missing column names unless every one is in the header.</summary>
    public void Require(params string[] columns)
    {
        var missing = columns.Where(c => !Has(c)).ToArray();
        if (missing.Length > 0)
        {
            throw new FormatException($"the header lacks {string.Join(", ", missing)} (it has {string.Join(", ", _columns.Keys)})");
        }
    }

    static List<string> Split(string line, TextReader reader, ref int lineNumber)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var i = 0;
        while (true)
        {
            if (i == line.Length)
            {
                if (quoted && reader.ReadLine() is { } next)
                {
                    // A quoted field spans lines.
                    lineNumber++;
                    field.Append('\n');
                    line = next;
                    i = 0;
                    continue;
                }

                fields.Add(field.ToString());
                return fields;
            }

            var c = line[i++];
            if (quoted)
            {
                if (c == '"' && i < line.Length && line[i] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }
    }

    /// <summary>Quotes a value when it needs it.</summary>
    public static string Escape(string? value) =>
        value is null ? "" : value.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}

/// <summary>One data row.</summary>
public sealed class CsvRow(int line, IReadOnlyList<string> fields, IReadOnlyDictionary<string, int> columns)
{
    /// <summary>Line number in the file where the row starts (1-based), for messages.</summary>
    public int Line { get; } = line;

    /// <summary>The trimmed value of <paramref name="column"/>, null when the column is absent or the cell empty.</summary>
    public string? this[string column] =>
        columns.TryGetValue(column, out var i) && i < fields.Count && fields[i].Trim() is { Length: > 0 } value ? value : null;
}
