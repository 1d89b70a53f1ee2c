namespace Mlops.OnnxRuntime.Tests;

[Collection(RuntimeCollection.Name)]
public sealed class BindingTests(RuntimeFixture fixture)
{
    // Version and providers come through OrtApiBase and two table slots: a wrong slot crashes or returns nonsense.
    [Fact]
    public void Environment_LoadedLibrary_ReportsVersionAndCpuProvider()
    {
        Assert.StartsWith("1.30.", fixture.Environment.Version);
        Assert.Contains("CPUExecutionProvider", fixture.Environment.AvailableProviders);
    }

    [Fact]
    public void Session_LogisticRegression_DescribesInputsAndOutputs()
    {
        using var session = fixture.Environment.CreateSession(TestModels.Bytes(TestModels.LogisticRegression));

        var input = Assert.Single(session.Inputs);
        Assert.Equal("features", input.Name);
        Assert.Equal(TensorElementType.Float, input.ElementType);
        Assert.Equal([-1L, 4L], input.Shape);
        var output = Assert.Single(session.Outputs);
        Assert.Equal("probability", output.Name);
        Assert.Equal([-1L], output.Shape);
        Assert.Equal(ExecutionProvider.Cpu, session.ExecutionProvider);
    }

    [Fact]
    public void Run_LogisticRegression_MatchesSigmoidOfLinearScore()
    {
        var parameters = TestModels.Parameters(TestModels.LogisticRegression);
        var weights = TestModels.Doubles(parameters.GetProperty("weights"));
        var bias = parameters.GetProperty("bias").GetDouble();
        float[] rows = [1f, 2f, 3f, 4f, -0.5f, 0.25f, 0f, 10f, 0f, 0f, 0f, 0f];
        using var session = fixture.Environment.CreateSession(TestModels.Bytes(TestModels.LogisticRegression));

        using var result = session.Run("features", rows, [3, 4]);

        Assert.Equal([3L], result.GetShape("probability"));
        var probabilities = result.GetFloats("probability");
        for (var r = 0; r < 3; r++)
        {
            var logit = bias;
            for (var f = 0; f < 4; f++)
            {
                logit += rows[(r * 4) + f] * weights[f];
            }

            Assert.Equal(TestModels.Sigmoid(logit), probabilities[r], 5);
        }
    }

    [Fact]
    public void Run_Ensemble_ReturnsMemberMeanAndStandardDeviation()
    {
        var parameters = TestModels.Parameters(TestModels.EnsembleV1);
        float[][] rows = [[120f, 28f, 88f, 39.2f, 85f], [72f, 14f, 98f, 36.8f, 125f]];
        using var session = fixture.Environment.CreateSession(TestModels.Bytes(TestModels.EnsembleV1));

        using var result = session.Run("features", rows.SelectMany(r => r).ToArray(), [2, 5]);

        Assert.Equal(["probability", "uncertainty", "members"], result.Names);
        Assert.Equal([2L, 5L], result.GetShape("members"));
        for (var r = 0; r < rows.Length; r++)
        {
            var members = TestModels.EnsembleMembers(parameters, rows[r]);
            var mean = members.Average();
            var std = Math.Sqrt(members.Select(m => (m - mean) * (m - mean)).Average());
            Assert.Equal(mean, result.GetFloats("probability")[r], 5);
            Assert.Equal(std, result.GetFloats("uncertainty")[r], 5);
        }

        Assert.True(result.GetFloats("probability")[0] > result.GetFloats("probability")[1], "deranged vitals must score higher than normal ones");
    }

    [Fact]
    public void Run_SelectedOutputs_ReturnsOnlyThose()
    {
        using var session = fixture.Environment.CreateSession(TestModels.Bytes(TestModels.EnsembleV1));

        using var result = session.Run([new TensorInput("features", new float[5] { 80, 16, 96, 37, 120 }, [1, 5])], ["uncertainty"]);

        Assert.Equal(["uncertainty"], result.Names);
        Assert.Equal(1, result.GetFloats(0).Length);
    }

    [Fact]
    public void Run_Concurrently_GivesTheSameAnswerOnEveryThread()
    {
        using var session = fixture.Environment.CreateSession(TestModels.Bytes(TestModels.LogisticRegression));
        float[] row = [1f, 2f, 3f, 4f];
        float expected;
        using (var single = session.Run("features", row, [1, 4]))
        {
            expected = single.GetFloats(0)[0];
        }

        var answers = new float[2000];
        Parallel.For(0, answers.Length, i =>
        {
            using var result = session.Run("features", row, [1, 4]);
            answers[i] = result.GetFloats(0)[0];
        });

        Assert.All(answers, a => Assert.Equal(expected, a));
    }
}
