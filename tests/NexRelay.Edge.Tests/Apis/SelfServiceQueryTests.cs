using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using NexRelay.Edge.Apis;

namespace NexRelay.Edge.Tests.Apis;

/// <summary>What the edge forwards to the logging service for <c>/api/v1/logs</c> and <c>/api/v1/usage</c>.</summary>
public sealed class SelfServiceQueryTests
{
    private static readonly Guid Mine = Guid.Parse("11111111-1111-1111-1111-111111111111");
    private static readonly Guid Other = Guid.Parse("22222222-2222-2222-2222-222222222222");

    private static string Forwarded(string query) => SelfServiceApi.LoggingQuery(new QueryCollection(QueryHelpers.ParseQuery(query)), Mine);

    [Theory]
    [InlineData("key_id=22222222-2222-2222-2222-222222222222")]
    [InlineData("KEY_ID=22222222-2222-2222-2222-222222222222")]
    [InlineData("Key_Id=22222222-2222-2222-2222-222222222222")]
    [InlineData("kEy_iD=22222222-2222-2222-2222-222222222222&key_id=22222222-2222-2222-2222-222222222222")]
    [InlineData("KEY_ID=")]
    [InlineData("key%5Fid=22222222-2222-2222-2222-222222222222")]
    [InlineData("WALLET_ID=33333333-3333-3333-3333-333333333333&wallet_id=33333333-3333-3333-3333-333333333333")]
    public void No_spelling_of_key_id_or_wallet_id_reaches_the_logging_service(string query)
    {
        var forwarded = Forwarded(query);
        Assert.Equal($"key_id={Mine}", forwarded);
        Assert.DoesNotContain(Other.ToString(), forwarded, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_callers_filters_pass_under_the_names_logging_reads_and_its_own_key_comes_last()
    {
        var forwarded = Forwarded("MODEL=gpt-5.4&status=200&From=2026-01-01T00:00:00Z&to=2026-02-01&limit=5&cursor=abc%2B%2F&group_by=day&unknown=1");
        Assert.Equal($"model=gpt-5.4&status=200&from=2026-01-01T00%3A00%3A00Z&to=2026-02-01&limit=5&cursor=abc%2B%2F&group_by=day&key_id={Mine}", forwarded);
    }

    [Theory]
    [InlineData("group_by=day,model", "group_by=day%2Cmodel")]
    [InlineData("group_by=day&group_by=model", "group_by=day&group_by=model")]
    [InlineData("group_by=key,status&key_id=22222222-2222-2222-2222-222222222222", "group_by=key%2Cstatus")]
    public void Several_usage_dimensions_pass_and_the_key_stays_the_callers(string query, string expected)
    {
        Assert.Equal($"{expected}&key_id={Mine}", Forwarded(query));
    }
}
