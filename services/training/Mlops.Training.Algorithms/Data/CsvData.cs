using System.Globalization;
using System.Text;

namespace Mlops.Training.Algorithms.Data;

/// <summary>Reads and writes numeric CSV with a header; empty cells and "nan" are missing values.</summary>
public static class CsvData
{
    /// <summary>Loads a CSV whose header names the columns; <paramref name="labelColumn"/> holds 0/1.</summary>
    public static TabularData Load(string path, string labelColumn)
    {
        using var reader = new StreamReader(path);
        var header = (reader.ReadLine() ?? throw new InvalidDataException($"{path} is empty.")).Split(',');
        var labelIndex = Array.IndexOf(header, labelColumn);
        if (labelIndex < 0)
        {
            throw new InvalidDataException($"{path} has no column '{labelColumn}'.");
        }

        var names = header.Where((_, i) => i != labelIndex).ToArray();
        var features = new List<float>();
        var labels = new List<float>();
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var cells = line.Split(',');
            for (var i = 0; i < cells.Length; i++)
            {
                var v = Parse(cells[i]);
                if (i == labelIndex)
                {
                    labels.Add(v);
                }
                else
                {
                    features.Add(v);
                }
            }
        }

        return new TabularData([.. features], [.. labels], names.Length, names);
    }

    /// <summary>Writes features then the label column; values round-trip exactly ("R" format), missing as empty.</summary>
    public static void Write(TabularData data, string path, string labelColumn = "label")
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', data.ColumnNames).Append(',').Append(labelColumn).Append('\n');
        for (var r = 0; r < data.Rows; r++)
        {
            foreach (var v in data.Row(r))
            {
                if (!float.IsNaN(v))
                {
                    sb.Append(v.ToString("R", CultureInfo.InvariantCulture));
                }

                sb.Append(',');
            }

            sb.Append(data.Labels[r].ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        File.WriteAllText(path, sb.ToString());
    }

    private static float Parse(string cell)
    {
        var s = cell.Trim();
        return s.Length == 0 || s.Equals("nan", StringComparison.OrdinalIgnoreCase)
            ? float.NaN
            : float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}
