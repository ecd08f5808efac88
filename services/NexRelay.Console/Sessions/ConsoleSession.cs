using System.Security.Claims;

namespace NexRelay.Console.Sessions;

/// <summary>Who is signed in: a key holder (with the API key's own identity) or an operator (with the admin token).</summary>
public static class ConsoleRoles
{
    public const string KeyHolder = "keyholder";
    public const string Operator = "operator";
}

/// <summary>
/// The signed-in person as the session cookie carries it. The credential travels inside the cookie, which ASP.NET Core
/// encrypts and signs with Data Protection (keys shared by replicas through Redis): the browser holds only ciphertext, and
/// the console passes the credential to the edge on each call, so every answer is exactly what that key or token may see.
/// </summary>
public sealed record ConsoleSession(string Role, string Credential, Guid? KeyId, Guid? WalletId, string? Name, string? Hint)
{
    private const string CredentialClaim = "nexrelay:credential";
    private const string KeyIdClaim = "nexrelay:key_id";
    private const string WalletIdClaim = "nexrelay:wallet_id";
    private const string HintClaim = "nexrelay:hint";

    public bool IsOperator => Role == ConsoleRoles.Operator;

    public static ConsoleSession? From(ClaimsPrincipal? user)
    {
        if (user?.Identity?.IsAuthenticated != true) return null;
        var role = user.FindFirstValue(ClaimTypes.Role);
        var credential = user.FindFirstValue(CredentialClaim);
        if (role is null || credential is null) return null;
        return new ConsoleSession(role, credential, Guid.TryParse(user.FindFirstValue(KeyIdClaim), out var k) ? k : null,
            Guid.TryParse(user.FindFirstValue(WalletIdClaim), out var w) ? w : null, user.FindFirstValue(ClaimTypes.Name), user.FindFirstValue(HintClaim));
    }

    public ClaimsPrincipal ToPrincipal(string scheme)
    {
        List<Claim> claims = [new(ClaimTypes.Role, Role), new(CredentialClaim, Credential), new(ClaimTypes.Name, Name ?? Role)];
        if (KeyId is { } keyId) claims.Add(new(KeyIdClaim, keyId.ToString()));
        if (WalletId is { } walletId) claims.Add(new(WalletIdClaim, walletId.ToString()));
        if (Hint is not null) claims.Add(new(HintClaim, Hint));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, ClaimTypes.Name, ClaimTypes.Role));
    }
}
