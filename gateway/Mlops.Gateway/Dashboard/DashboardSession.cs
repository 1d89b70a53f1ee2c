using System.Security.Cryptography;
using System.Text;

namespace Mlops.Gateway.Dashboard;

/// <summary>
/// How a browser holds a key. Navigations and <c>EventSource</c> cannot send <c>X-Api-Key</c>, so signing in puts
/// the key in an HttpOnly cookie (script cannot read it; SameSite=Strict, Secure over https) that the key handler
/// accepts like the header. A state-changing request authenticated by that cookie must also carry
/// <see cref="CsrfHeader"/> with the session's token, which only a page of this origin can learn (from the sign-in
/// answer or <c>GET /api/gateway/me</c>): another site can make the browser send the cookie, never the header.
/// </summary>
public static class DashboardSession
{
    public const string KeyCookie = "mlops_session";

    public const string CsrfHeader = "X-Csrf-Token";

    /// <summary>
    /// The token of a session: derived from the key itself, so every gateway replica computes the same one without a
    /// shared secret, a new key means a new token, and the token (a one-way hash) reveals nothing of the key.
    /// </summary>
    public static string CsrfTokenFor(string key) =>
        Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes("mlops-dashboard-csrf:" + key.Trim())))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Whether <paramref name="presented"/> is the token of <paramref name="key"/> (constant time).</summary>
    public static bool IsValidToken(string key, string? presented) =>
        presented is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(CsrfTokenFor(key)), Encoding.ASCII.GetBytes(presented.Trim()));

    public static CookieOptions CookieOptions(HttpRequest request, TimeSpan? maxAge) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Strict,
        Secure = request.IsHttps,
        Path = "/",
        MaxAge = maxAge,
        IsEssential = true,
    };
}
