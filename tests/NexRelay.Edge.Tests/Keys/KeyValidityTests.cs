using NexRelay.Contracts.Keys;
using NexRelay.Edge.Keys;

namespace NexRelay.Edge.Tests.Keys;

public sealed class KeyValidityTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static KeySnapshot Key(string state = "active", DateTimeOffset? expiresAt = null) => new()
    {
        Id = Guid.NewGuid(),
        WalletId = Guid.NewGuid(),
        Name = "k",
        Hint = "nrk_…abcd",
        State = state,
        ExpiresAt = expiresAt,
        Policy = new KeyPolicy(),
    };

    [Fact]
    public void Active_key_without_expiry_is_valid() => Assert.Equal(KeyStatus.Valid, KeyValidity.Check(Key(), Now));

    [Fact]
    public void Active_key_expiring_later_is_valid() => Assert.Equal(KeyStatus.Valid, KeyValidity.Check(Key(expiresAt: Now.AddSeconds(1)), Now));

    [Fact]
    public void Key_at_or_past_its_expiry_is_expired()
    {
        Assert.Equal(KeyStatus.Expired, KeyValidity.Check(Key(expiresAt: Now), Now));
        Assert.Equal(KeyStatus.Expired, KeyValidity.Check(Key(expiresAt: Now.AddDays(-1)), Now));
    }

    [Theory]
    [InlineData("revoked", "Revoked")]
    [InlineData("disabled", "Disabled")]
    [InlineData("weird", "Unknown")]
    public void Non_active_states_are_not_valid(string state, string expected)
    {
        Assert.Equal(Enum.Parse<KeyStatus>(expected), KeyValidity.Check(Key(state), Now));
        Assert.False(KeyValidity.IsUsable(Key(state), Now));
    }

    [Fact]
    public void Revoked_wins_over_a_future_expiry() => Assert.Equal(KeyStatus.Revoked, KeyValidity.Check(Key("revoked", Now.AddDays(1)), Now));

    [Fact]
    public void No_key_is_unknown() => Assert.Equal(KeyStatus.Unknown, KeyValidity.Check(null, Now));
}
