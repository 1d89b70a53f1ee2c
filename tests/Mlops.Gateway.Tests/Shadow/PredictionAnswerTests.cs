using System.Text;
using Mlops.Gateway.Shadow;

namespace Mlops.Gateway.Tests.Shadow;

public sealed class PredictionAnswerTests
{
    [Fact]
    public void Parse_ServiceAnswer_ProbabilityAndVersion()
    {
        var answer = Parse("""{"predictionId":"x","variant":"champion","probability":0.25,"modelName":"m","modelVersion":"7"}""");
        Assert.Equal([0.25], answer!.Probabilities);
        Assert.Equal("7", answer.ModelVersion);
    }

    [Fact]
    public void Parse_BatchAnswer_OneProbabilityPerItem_FailedItemsKeepTheirPlace()
    {
        var answer = Parse("""{"items":[{"prediction":{"probability":0.1,"modelVersion":"2"},"error":null},{"prediction":null,"error":"bad"},{"prediction":{"probability":0.9}}]}""");
        Assert.Equal(3, answer!.Probabilities.Count);
        Assert.Equal(0.1, answer.Probabilities[0]);
        Assert.True(double.IsNaN(answer.Probabilities[1]));
        Assert.Equal(0.9, answer.Probabilities[2]);
        Assert.Equal("2", answer.ModelVersion);
    }

    [Fact]
    public void Parse_OpenInferenceAnswer_ProbabilityOutputRows()
    {
        var answer = Parse("""{"model_name":"m","model_version":"4","outputs":[{"name":"uncertainty","shape":[2],"datatype":"FP32","data":[0.01,0.02]},{"name":"probability","shape":[2],"datatype":"FP32","data":[0.3,0.6]}]}""");
        Assert.Equal([0.3, 0.6], answer!.Probabilities);
        Assert.Equal("4", answer.ModelVersion);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("""{"type":"about:blank","status":400}""")]
    [InlineData("[0.5]")]
    public void Parse_NoPrediction_IsNull(string json) => Assert.Null(Parse(json));

    static PredictionAnswer? Parse(string json) => PredictionAnswer.Parse(Encoding.UTF8.GetBytes(json));
}
