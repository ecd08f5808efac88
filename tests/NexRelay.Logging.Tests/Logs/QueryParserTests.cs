using System.Text;
using NexRelay.Logging.Logs;

namespace NexRelay.Logging.Tests.Logs;

public sealed class QueryParserTests
{
    [Theory]
    [InlineData("2026-01-31T12:00:00Z", "2026-01-31T12:00:00.0000000+00:00")]
    [InlineData("2026-01-31T12:00:00+02:00", "2026-01-31T10:00:00.0000000+00:00")]
    [InlineData("2026-01-31", "2026-01-31T00:00:00.0000000+00:00")]
    [InlineData("2026-01-31T12:00:00.123456Z", "2026-01-31T12:00:00.1234560+00:00")]
    public void Dates_are_iso_8601_and_taken_as_utc_without_an_offset(string text, string expected)
    {
        var parser = new QueryParser();
        var filter = parser.Filter(null, null, null, null, text, null);
        Assert.True(parser.IsValid);
        Assert.Equal(expected, filter.From!.Value.ToString("O"));
    }

    [Theory]
    [InlineData("tomorrow")]
    [InlineData("2026-02-30")]
    [InlineData("1969-12-31T00:00:00Z")]
    [InlineData("12345")]
    public void Bad_dates_are_errors_naming_the_parameter(string text)
    {
        var parser = new QueryParser();
        parser.Filter(null, null, null, null, null, text);
        Assert.Equal(["to"], parser.Errors.Keys);
    }

    [Theory]
    [InlineData(null, 50)]
    [InlineData("", 50)]
    [InlineData("1", 1)]
    [InlineData("1000", 1000)]
    public void Limits_from_1_to_1000_are_accepted(string? text, int expected)
    {
        var parser = new QueryParser();
        Assert.Equal(expected, parser.Limit(text));
        Assert.True(parser.IsValid);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    [InlineData("-1")]
    [InlineData("+5")]
    [InlineData("1e3")]
    [InlineData("99999999999999")]
    public void Other_limits_are_errors(string text)
    {
        var parser = new QueryParser();
        parser.Limit(text);
        Assert.Equal(["limit"], parser.Errors.Keys);
    }

    [Theory]
    [InlineData("model", new[] { UsageDimension.Model })]
    [InlineData(null, new[] { UsageDimension.Model })]
    [InlineData("", new[] { UsageDimension.Model })]
    [InlineData("key", new[] { UsageDimension.Key })]
    [InlineData("day", new[] { UsageDimension.Day })]
    [InlineData("status", new[] { UsageDimension.Status })]
    [InlineData("day,model", new[] { UsageDimension.Day, UsageDimension.Model })]
    [InlineData("model, status", new[] { UsageDimension.Model, UsageDimension.Status })]
    [InlineData("status,key,model,day", new[] { UsageDimension.Status, UsageDimension.Key, UsageDimension.Model, UsageDimension.Day })]
    public void Usage_groupings_parse_in_the_order_given(string? text, UsageDimension[] expected)
    {
        var parser = new QueryParser();
        Assert.Equal(expected, parser.Grouping(text));
        Assert.True(parser.IsValid);
    }

    [Theory]
    [InlineData("hour")]
    [InlineData("Day")]
    [InlineData("day,day")]
    [InlineData("model,status,model")]
    [InlineData("day,")]
    [InlineData(",model")]
    [InlineData("day;model")]
    public void Unknown_empty_or_repeated_dimensions_are_errors_naming_group_by(string text)
    {
        var parser = new QueryParser();
        parser.Grouping(text);
        Assert.Equal(["group_by"], parser.Errors.Keys);
    }

    [Fact]
    public void Several_bad_parameters_are_all_reported()
    {
        var parser = new QueryParser();
        parser.Filter("x", "y", new string('m', 300), "abc", "bad", "bad");
        Assert.Equal(["from", "key_id", "model", "status", "to", "wallet_id"], parser.Errors.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("req_1")]
    [InlineData("req:with:colons")]
    [InlineData("ünïcode-id")]
    public void Cursors_round_trip(string requestId)
    {
        var at = new DateTime(2026, 3, 4, 5, 6, 7, DateTimeKind.Utc).AddTicks(1234560);
        var text = new LogCursor(at, requestId).Encode();
        Assert.DoesNotContain('=', text);
        Assert.True(LogCursor.TryDecode(text, out var cursor));
        Assert.Equal(at, cursor.CreatedAt);
        Assert.Equal(requestId, cursor.RequestId);
    }

    [Theory]
    [InlineData("!!!")]
    [InlineData("aGVsbG8")] // "hello": no separator
    [InlineData("OnJlcV8x")] // ":req_1": no timestamp
    [InlineData("MTIzOg")] // "123:": no request id
    [InlineData("LTE6cmVx")] // "-1:req"
    [InlineData("OTk5OTk5OTk5OTk5OTk5OTk5OTpyZXE")] // timestamp beyond DateTime
    public void Malformed_cursors_are_refused(string text)
    {
        Assert.False(LogCursor.TryDecode(text, out _));
        var parser = new QueryParser();
        parser.Cursor(text);
        Assert.Equal(["cursor"], parser.Errors.Keys);
    }

    [Fact]
    public void Csv_fields_are_quoted_only_when_needed()
    {
        var line = new StringBuilder();
        CsvExportResult.AppendRow(line, ["plain", null, "a,b", "say \"hi\"", "two\nlines", ""]);
        Assert.Equal("plain,,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n", line.ToString());
        Assert.Equal([["plain", "", "a,b", "say \"hi\"", "two\nlines", ""]], Csv.Parse(line.ToString()));
    }
}
