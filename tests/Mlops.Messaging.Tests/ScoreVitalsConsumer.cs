using MassTransit;

namespace Mlops.Messaging.Tests;

/// <summary>Answers <see cref="ScoreVitals"/> with the shock index.</summary>
public sealed class ScoreVitalsConsumer : IConsumer<ScoreVitals>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<ScoreVitals> context) =>
        context.RespondAsync(new VitalsScored
        {
            PatientId = context.Message.PatientId,
            ShockIndex = (double)context.Message.HeartRate / context.Message.SystolicBloodPressure,
            AnsweredBy = context.ReceiveContext.InputAddress.AbsolutePath,
            TraceId = System.Diagnostics.Activity.Current?.TraceId.ToString(),
        });
}
