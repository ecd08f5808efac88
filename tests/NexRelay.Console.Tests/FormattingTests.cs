using System.Text.Json.Nodes;
using NexRelay.Console.Components.Shared;
using NexRelay.Console.Edge;
using NexRelay.Console.Sessions;

namespace NexRelay.Console.Tests;

public sealed class FormattingTests
{
    [Theory]
    [InlineData(0, "$0.00")]
    [InlineData(1.5, "$1.50")]
    [InlineData(0.000123, "$0.000123")]
    [InlineData(1234567.891, "$1,234,567.891")]
    [InlineData(-2.5, "-$2.50")]
    public void Money_keeps_every_micro_dollar_it_has(decimal amount, string expected) => Assert.Equal(expected, Format.Usd(amount));

    [Fact]
    public void No_amount_is_a_dash() => Assert.Equal("–", Format.Usd(null));

    [Theory]
    [InlineData("/requests?model=a", "/requests?model=a")]
    [InlineData("/", "/")]
    [InlineData("//evil.example/x", "/")]
    [InlineData("/\\evil.example", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("javascript:alert(1)", "/")]
    [InlineData("/ok\r\nSet-Cookie: x", "/")]
    [InlineData("", "/")]
    [InlineData(null, "/")]
    public void Sign_in_returns_only_to_a_path_of_this_site(string? url, string expected) => Assert.Equal(expected, ReturnUrl.Safe(url));

    [Fact]
    public void A_policy_form_sends_numbers_as_numbers_and_empty_fields_as_null()
    {
        var json = new KeyPolicyForm { Name = " agent ", AllowedModels = "gpt-5.4, claude-sonnet-4-6", MaxOutputTokens = "4096", BudgetUsd = "12.50", Rpm = "", ExpiresAt = "2027-01-02T03:04", LogBodies = true }.ToJson();
        Assert.Equal("agent", json["name"]!.GetValue<string>());
        Assert.Equal(["gpt-5.4", "claude-sonnet-4-6"], json["allowed_models"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal(4096L, json["max_output_tokens"]!.GetValue<long>());
        Assert.Equal(12.50m, json["budget_usd"]!.GetValue<decimal>());
        Assert.Null(json["rpm"]);
        Assert.Null(json["tpm"]);
        Assert.Equal("2027-01-02T03:04:00Z", json["expires_at"]!.GetValue<string>());
        Assert.True(json["log_bodies"]!.GetValue<bool>());
    }

    [Fact]
    public void A_policy_form_passes_what_is_not_a_number_as_typed_so_the_api_names_the_error()
    {
        var json = new KeyPolicyForm { Name = "x", MaxOutputTokens = "lots", BudgetUsd = "ten", ExpiresAt = "someday" }.ToJson();
        Assert.Equal("lots", json["max_output_tokens"]!.GetValue<string>());
        Assert.Equal("ten", json["budget_usd"]!.GetValue<string>());
        Assert.Equal("someday", json["expires_at"]!.GetValue<string>());
    }

    [Fact]
    public void A_key_read_back_into_the_form_round_trips()
    {
        var key = new AdminKey
        {
            Id = Guid.NewGuid(), WalletId = Guid.NewGuid(), Name = "k", Hint = "nrk_…abcd", State = "active", AllowedModels = ["a", "b"],
            MaxOutputTokens = 100, OutputCapMode = "reject", BudgetUsd = 3.25m, BudgetPeriod = "month", Rpm = 60, Tpm = null,
            ExpiresAt = new DateTimeOffset(2027, 5, 6, 7, 8, 0, TimeSpan.Zero), LogBodies = true,
        };
        var json = KeyPolicyForm.From(key).ToJson();
        Assert.Equal(JsonNode.Parse("""
            {"name":"k","allowed_models":["a","b"],"max_output_tokens":100,"output_cap_mode":"reject","budget_usd":3.25,"budget_period":"month",
             "rpm":60,"tpm":null,"expires_at":"2027-05-06T07:08:00Z","log_bodies":true}
            """)!.ToJsonString(), json.ToJsonString());
    }

    [Fact]
    public void A_session_survives_its_cookie_principal_and_needs_a_credential()
    {
        var session = new ConsoleSession(ConsoleRoles.KeyHolder, "nrk_secret", Guid.NewGuid(), Guid.NewGuid(), "agent", "nrk_…cret");
        Assert.Equal(session, ConsoleSession.From(session.ToPrincipal("Cookies")));
        Assert.Null(ConsoleSession.From(new System.Security.Claims.ClaimsPrincipal()));
    }

    [Fact]
    public void Agent_settings_point_at_the_edge_and_never_hold_a_key()
    {
        var snippets = AgentSettings.For("https://relay.example", "gpt-5.4");
        Assert.Equal(["openai-sdk", "anthropic-sdk", "google-sdk", "codex", "claude-code", "gemini-cli"], snippets.Select(s => s.Id));
        Assert.All(snippets, s => Assert.Contains("NEXRELAY_API_KEY", s.Text));
        Assert.All(snippets, s => Assert.DoesNotContain("nrk_", s.Text));
        Assert.Contains("base_url = \"https://relay.example/api/v1\"", snippets.Single(s => s.Id == "codex").Text);
        Assert.Contains("wire_api = \"responses\"", snippets.Single(s => s.Id == "codex").Text);
        Assert.Contains("ANTHROPIC_BASE_URL=\"https://relay.example\"", snippets.Single(s => s.Id == "claude-code").Text);
        Assert.Contains("GOOGLE_GEMINI_BASE_URL=\"https://relay.example\"", snippets.Single(s => s.Id == "gemini-cli").Text);
    }
}
