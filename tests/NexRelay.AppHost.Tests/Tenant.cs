using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace NexRelay.AppHost.Tests;

/// <summary>A funded wallet and a key on it, created through the edge's admin API like an operator would.</summary>
public sealed record Tenant(Guid WalletId, Guid KeyId, string Key)
{
    public static async Task<Tenant> CreateAsync(ClusterFixture cluster, decimal creditUsd = 10m, JsonObject? policy = null)
    {
        using var admin = cluster.AdminClient();
        var wallet = await PostAsync(admin, "/admin/v1/wallets", new JsonObject { ["name"] = "test-" + Guid.NewGuid().ToString("N")[..8] });
        var walletId = Guid.Parse(wallet["id"]!.GetValue<string>());
        if (creditUsd > 0)
        {
            await PostAsync(admin, $"/admin/v1/wallets/{walletId}/credits", new JsonObject { ["amount_usd"] = creditUsd, ["reference"] = "seed-" + Guid.NewGuid() });
        }
        var body = policy?.DeepClone().AsObject() ?? [];
        body["wallet_id"] = walletId.ToString();
        body["name"] ??= "test key";
        var key = await PostAsync(admin, "/admin/v1/keys", body);
        return new Tenant(walletId, Guid.Parse(key["id"]!.GetValue<string>()), key["key"]!.GetValue<string>());
    }

    private static async Task<JsonObject> PostAsync(HttpClient client, string path, JsonObject body)
    {
        using var response = await client.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}
