using Mlops.Cli.Core.Csv;

namespace Mlops.EndToEnd.Tests.Csv;

/// <summary>The CSV reading the mlops command relies on for users' own files.</summary>
public sealed class CsvTableTests
{
    [Fact]
    public void Read_QuotedCellsAndAnyColumnOrder_ByHeaderName()
    {
        var table = CsvTable.Read(new StringReader("Code,entityId,value\n\"heart_rate\",\"p,1\",\"say \"\"hi\"\"\"\n\nspo2,p2,\"multi\nline\"\n"));

        Assert.Equal(2, table.Rows.Count);
        Assert.Equal("p,1", table.Rows[0]["entityid"]);
        Assert.Equal("say \"hi\"", table.Rows[0]["value"]);
        Assert.Equal("multi\nline", table.Rows[1]["value"]);
        Assert.Null(table.Rows[1]["unit"]);
        Assert.Equal(4, table.Rows[1].Line);
    }

    [Fact]
    public void Read_MissingRequiredColumn_NamesIt()
    {
        var error = Assert.Throws<FormatException>(() => ObservationCsv.Read(new StringReader("entityId,code,value\np1,spo2,97\n")));

        Assert.Contains("eventTime", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_RowsWithoutIds_GetTheSameDerivedIdEveryTime()
    {
        const string File = "entityId,value,eventTime\np1,1,2026-12-01T10:00:00Z\np2,0,2026-12-01T10:00:00Z\n";

        var first = OutcomeCsv.Read(new StringReader(File), "deterioration_24h");
        var second = OutcomeCsv.Read(new StringReader(File), "deterioration_24h");

        Assert.Equal(first.Select(r => r.Body["labelId"]!.ToString()), second.Select(r => r.Body["labelId"]!.ToString()));
        Assert.NotEqual(first[0].Body["labelId"]!.ToString(), first[1].Body["labelId"]!.ToString());
        Assert.Equal("deterioration_24h", first[0].Body["name"]!.ToString());
        Assert.Equal(1.0, first[0].Body["value"]!.GetValue<double>());
    }

    [Fact]
    public void Read_NonNumericValue_IsSentAsTextForTheServiceToJudge()
    {
        var rows = ObservationCsv.Read(new StringReader("entityId,code,value,eventTime\np1,consciousness,V,2026-12-01T10:00:00Z\np1,heart_rate,88,2026-12-01T10:00:00Z\n"));

        Assert.Equal("\"V\"", rows[0].Body["value"]!.ToJsonString());
        Assert.Equal("88", rows[1].Body["value"]!.ToJsonString());
        Assert.Equal("mlops-cli", rows[0].Body["sourceSystem"]!.ToString());
    }
}
