using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using NexRelay.Console.Edge;

namespace NexRelay.Console.Sessions;

/// <summary>
/// Signs a person in with what they hold: an API key (NexRelay keys start with <c>nrk_</c>) signs in its key holder, anything
/// else is tried as the admin token. The edge decides: the console only asks it who the credential is.
/// </summary>
public sealed class SignIn(EdgeApi edge)
{
    public const string KeyPrefix = "nrk_";

    /// <summary>Null on success; else the edge's reason, fit to show beside the field.</summary>
    public async Task<string?> SignInAsync(HttpContext http, string? credential)
    {
        credential = credential?.Trim();
        if (string.IsNullOrEmpty(credential)) return "Enter an API key or the admin token.";
        ConsoleSession session;
        if (credential.StartsWith(KeyPrefix, StringComparison.Ordinal))
        {
            var key = await edge.GetKeyAsync(credential, http.RequestAborted);
            if (!key.Ok) return key.Message;
            session = new ConsoleSession(ConsoleRoles.KeyHolder, credential, key.Value!.Id, key.Value.WalletId, key.Value.Name, key.Value.Hint);
        }
        else
        {
            var check = await edge.CheckAdminTokenAsync(credential, http.RequestAborted);
            if (!check.Ok) return (int)check.Status is 401 or 403 ? "That is neither an API key nor the admin token." : check.Message;
            session = new ConsoleSession(ConsoleRoles.Operator, credential, null, null, "Operator", null);
        }
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, session.ToPrincipal(CookieAuthenticationDefaults.AuthenticationScheme),
            new AuthenticationProperties { IsPersistent = false });
        return null;
    }
}
