using Mlops.Gateway.Dashboard;

namespace Mlops.Gateway.Tests.Dashboard;

public sealed class DashboardSessionTests
{
    const string Key = "mlops_abcdefabcdef_0123456789abcdef0123456789abcdef";

    [Fact]
    public void CsrfToken_SameKey_SameTokenOnEveryReplicaAndNotTheKey()
    {
        var token = DashboardSession.CsrfTokenFor(Key);

        Assert.Equal(token, DashboardSession.CsrfTokenFor(" " + Key + " "));
        Assert.DoesNotContain("0123456789abcdef", token, StringComparison.Ordinal);
        Assert.Matches("^[A-Za-z0-9_-]{43}$", token);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-the-token")]
    public void IsValidToken_WrongOrMissing_False(string? presented) =>
        Assert.False(DashboardSession.IsValidToken(Key, presented));

    [Fact]
    public void IsValidToken_OtherKeysToken_False() =>
        Assert.False(DashboardSession.IsValidToken(Key, DashboardSession.CsrfTokenFor(Key.Replace('0', '1'))));

    [Fact]
    public void IsValidToken_ItsToken_True() =>
        Assert.True(DashboardSession.IsValidToken(Key, DashboardSession.CsrfTokenFor(Key)));
}
