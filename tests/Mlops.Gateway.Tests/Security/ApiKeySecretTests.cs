using Mlops.Gateway.Security;

namespace Mlops.Gateway.Tests.Security;

public sealed class ApiKeySecretTests
{
    [Fact]
    public void Generate_Twice_DifferentIdsAndKeysThatParseBack()
    {
        var (id1, key1) = ApiKeySecret.Generate();
        var (id2, key2) = ApiKeySecret.Generate();

        Assert.NotEqual(id1, id2);
        Assert.True(ApiKeySecret.TryParse(key1, out var parsedId, out var secret));
        Assert.Equal(id1, parsedId);
        Assert.True(secret.Length >= 43, "256 random bits in base64url");
        Assert.True(ApiKeySecret.Matches(secret, ApiKeySecret.Hash(secret)));
        Assert.False(ApiKeySecret.Matches(secret, ApiKeySecret.Hash(key2)));
    }

    [Fact]
    public void TryParse_KeyTheLocalSetupWrites_Accepted()
    {
        // infra/local/lib/common.sh: mlk_<12 hex>_<32 hex>.
        Assert.True(ApiKeySecret.TryParse("mlk_1b4068d849d0_0123456789abcdef0123456789abcdef", out var id, out var secret));
        Assert.Equal("1b4068d849d0", id);
        Assert.Equal("0123456789abcdef0123456789abcdef", secret);
    }

    [Theory]
    [InlineData("")]
    [InlineData("hunter2")]
    [InlineData("mlk_")]
    [InlineData("mlk__0123456789abcdef0123456789abcdef")]
    [InlineData("mlk_abc_short")]
    [InlineData("mlk_ab-c_0123456789abcdef0123456789abcdef")]
    [InlineData("xyz_abc_0123456789abcdef0123456789abcdef")]
    public void TryParse_NotTheFormat_Refused(string key) => Assert.False(ApiKeySecret.TryParse(key, out _, out _));
}
