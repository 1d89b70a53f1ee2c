using Mlops.Gateway.Routing;

namespace Mlops.Gateway.Tests.Routing;

public sealed class InferenceRequestTests
{
    [Theory]
    [InlineData("/api/inference/predict", "deterioration", null, InferenceProtocol.Native)]
    [InlineData("/api/inference/predict/batch", "deterioration", null, InferenceProtocol.Native)]
    [InlineData("/api/inference/entities/p-7/predict", "deterioration", "p-7", InferenceProtocol.Native)]
    [InlineData("/api/inference/models/sepsis/predict", "sepsis", null, InferenceProtocol.Native)]
    [InlineData("/api/inference/models/sepsis/entities/p-7/predict", "sepsis", "p-7", InferenceProtocol.Native)]
    [InlineData("/v2/models/sepsis/infer", "sepsis", null, InferenceProtocol.OpenInference)]
    [InlineData("/v2/models/sepsis/versions/3/infer", "sepsis", null, InferenceProtocol.OpenInference)]
    public void TryParse_PredictionPaths_NameModelAndEntity(string path, string model, string? entity, InferenceProtocol protocol)
    {
        Assert.Equal(new InferenceRequest(model, entity, protocol), InferenceRequest.TryParse("POST", path, "deterioration"));
    }

    [Theory]
    [InlineData("POST", "/api/inference/model")]
    [InlineData("GET", "/api/inference/models/sepsis")]
    [InlineData("GET", "/api/inference/predict")]
    [InlineData("POST", "/api/registry/models/sepsis/predict")]
    [InlineData("GET", "/v2/models/sepsis")]
    [InlineData("POST", "/v2/models/sepsis/ready")]
    public void TryParse_OtherRequests_AreNotPredictions(string method, string path) =>
        Assert.Null(InferenceRequest.TryParse(method, path, "deterioration"));
}
