using System.Net;
using System.Text.Json.Nodes;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>A key sees its own logs and usage only, however it spells the parameters the edge sets for it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SelfServiceLogTests(ClusterFixture cluster)
{
    [Theory]
    [InlineData("KEY_ID")]
    [InlineData("Key_Id")]
    [InlineData("key_ID")]
    public async Task A_differently_cased_key_id_neither_widens_nor_replaces_the_keys_own_filter(string name)
    {
        var me = await Tenant.CreateAsync(cluster);
        var other = await Tenant.CreateAsync(cluster);
        using var mine = await PostAsync(cluster.Edge, me.Key, "/api/v1/chat/completions", Chat("gpt-5.4"));
        using var theirs = await PostAsync(cluster.Edge, other.Key, "/api/v1/chat/completions", Chat("gpt-5.4"));
        await LogAsync(cluster.Edge, me.Key, RequestId(mine));
        await LogAsync(cluster.Edge, other.Key, RequestId(theirs));

        foreach (var query in new[] { $"{name}={other.KeyId}", $"{name}=", $"{name}={other.KeyId}&WALLET_ID={other.WalletId}" })
        {
            using var list = await GetAsync(cluster.Edge, me.Key, $"/api/v1/logs?{query}");
            var text = await list.Content.ReadAsStringAsync();
            Assert.True(list.StatusCode == HttpStatusCode.OK, $"{query}: {(int)list.StatusCode} {text}");
            var rows = JsonNode.Parse(text)!["data"]!.AsArray();
            Assert.Equal([RequestId(mine)], rows.Select(r => r!["request_id"]!.GetValue<string>()));
            Assert.All(rows, r => Assert.Equal(me.KeyId.ToString(), r!["key_id"]!.GetValue<string>()));

            using var usage = await GetAsync(cluster.Edge, me.Key, $"/api/v1/usage?{query}");
            var report = JsonNode.Parse(await usage.Content.ReadAsStringAsync())!;
            Assert.True(usage.StatusCode == HttpStatusCode.OK, report.ToJsonString());
            Assert.Equal(1, report["totals"]!["requests"]!.GetValue<long>());

            using var theirRow = await GetAsync(cluster.Edge, me.Key, $"/api/v1/logs/{RequestId(theirs)}?{query}");
            Assert.Equal(HttpStatusCode.NotFound, theirRow.StatusCode);
            using var myRow = await GetAsync(cluster.Edge, me.Key, $"/api/v1/logs/{RequestId(mine)}?{query}");
            Assert.Equal(HttpStatusCode.OK, myRow.StatusCode);
        }
    }
}
