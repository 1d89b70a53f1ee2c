using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Mlops.Contracts.Gateway;

namespace Mlops.Gateway.Security;

/// <summary>
/// Authenticates the <c>X-Api-Key</c> header, or else the dashboard's session cookie (which holds a key the same
/// checks apply to: a revoked key stops working in the browser too; Dashboard/SessionApi.cs). No key: no result (anonymous endpoints still answer; secured ones
/// challenge with 401). A key that is malformed, unknown, wrong or revoked: a failure whose message the 401 names.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyValidator validator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    public const string Header = ApiKeys.Header;

    /// <summary>Claim carrying the key's public id.</summary>
    public const string KeyIdClaim = "mlops_key_id";

    /// <summary>Claim saying how the key came: <see cref="ViaHeader"/> or <see cref="ViaCookie"/> (CSRF checks apply to the latter).</summary>
    public const string ViaClaim = "mlops_key_via";

    public const string ViaHeader = "header";

    public const string ViaCookie = "cookie";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string presented;
        string via;
        if (Request.Headers.TryGetValue(Header, out var values) && values.Count > 0 && !string.IsNullOrWhiteSpace(values[0]))
        {
            if (values.Count > 1)
            {
                return Fail("malformed", $"the request carries {values.Count} {Header} headers; send exactly one");
            }

            (presented, via) = (values[0]!.Trim(), ViaHeader);
        }
        else if (Request.Cookies.TryGetValue(Dashboard.DashboardSession.KeyCookie, out var cookie) && !string.IsNullOrWhiteSpace(cookie))
        {
            (presented, via) = (cookie.Trim(), ViaCookie);
        }
        else
        {
            return AuthenticateResult.NoResult();
        }

        var (check, key) = await validator.CheckAsync(presented, Context.RequestAborted);
        switch (check)
        {
            case KeyCheck.Valid:
                var claims = new List<Claim> { new(KeyIdClaim, key!.Id), new(ClaimTypes.NameIdentifier, key.Id), new(ClaimTypes.Name, key.Name), new(ViaClaim, via) };
                claims.AddRange(key.Roles.Select(r => new Claim(ClaimTypes.Role, r)));
                var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
                return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
            case KeyCheck.Revoked:
                return Fail("revoked", $"API key '{key!.Id}' was revoked at {key.RevokedAt:O}");
            case KeyCheck.Malformed:
                return Fail("malformed", $"{Source(via)} is not an API key issued by this platform (expected {ApiKeySecret.Prefix}<id>_<secret>)");
            default:
                return Fail("unknown", $"{Source(via)} holds no valid API key (unknown id or wrong secret)");
        }
    }

    static string Source(string via) => via == ViaCookie ? "the dashboard session cookie" : $"the {Header} header";

    static AuthenticateResult Fail(string reason, string message)
    {
        SecurityTelemetry.Refused.Add(1, new KeyValuePair<string, object?>("reason", reason));
        return AuthenticateResult.Fail(message);
    }
}
