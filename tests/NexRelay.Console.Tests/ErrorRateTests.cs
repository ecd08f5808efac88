using NexRelay.Console.Components.Shared;
using NexRelay.Console.Edge;

namespace NexRelay.Console.Tests;

public sealed class ErrorRateTests
{
    private static UsageGroup G(string? model, string? upstream, int status, long requests) =>
        new(null, null, model, null, status, requests, 0, 0, 0, 0, 0m) { UpstreamProvider = upstream };

    [Fact]
    public void Errors_are_statuses_of_400_and_above_summed_per_value_most_requests_first()
    {
        var rows = ErrorRate.From(
            [G(null, "east", 200, 7), G(null, "east", 502, 2), G(null, "west", 200, 3), G(null, "west", 429, 1), G(null, "west", 399, 1),
             G(null, null, 401, 20)],
            g => g.UpstreamProvider, "(none)");

        Assert.Equal([new ErrorRate("(none)", 20, 20), new ErrorRate("east", 9, 2), new ErrorRate("west", 5, 1)], rows);
    }

    [Fact]
    public void Equal_request_counts_are_ordered_by_name_and_no_groups_is_no_rows()
    {
        var rows = ErrorRate.From([G("b", null, 200, 1), G("a", null, 500, 1)], g => g.Model, "(none)");
        Assert.Equal(["a", "b"], rows.Select(r => r.Name));
        Assert.Empty(ErrorRate.From([], g => g.Model, "(none)"));
    }
}
