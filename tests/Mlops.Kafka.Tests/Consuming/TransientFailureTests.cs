using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using Mlops.Kafka.Consuming;
using Mlops.ServiceDefaults.Resilience;
using Npgsql;

namespace Mlops.Kafka.Tests.Consuming;

public sealed class TransientFailureTests
{
    static TransientFailureTests() => KafkaTransientFailures.Register();

    public static TheoryData<Exception> Transient() =>
    [
        new NpgsqlException("Failed to connect to 127.0.0.1:55432", new SocketException((int)SocketError.ConnectionRefused)),
        new NpgsqlException("Exception while reading from stream", new IOException("connection reset", new SocketException((int)SocketError.ConnectionReset))),
        new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01"),
        new SocketException((int)SocketError.ConnectionRefused),
        new TimeoutException("the command timed out"),
        new HttpRequestException("connection refused", new SocketException((int)SocketError.ConnectionRefused)),
        new HttpRequestException("bad gateway", null, HttpStatusCode.BadGateway),
        new HttpRequestException("unavailable", null, HttpStatusCode.ServiceUnavailable),
        new HttpRequestException("throttled", null, HttpStatusCode.TooManyRequests),
        new TaskCanceledException("HttpClient.Timeout elapsed", new TimeoutException()),
        new InvalidOperationException("wrapped", new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))),
        new AggregateException(new ArgumentException("one"), new TimeoutException("two")),
        new KafkaException(ErrorCode.Local_AllBrokersDown),
        new ProduceException<string?, byte[]>(new Error(ErrorCode.Local_MsgTimedOut), new DeliveryResult<string?, byte[]>()),
    ];

    public static TheoryData<Exception> Deterministic() =>
    [
        new PostgresException("duplicate key value violates unique constraint", "ERROR", "ERROR", "23505"),
        new PostgresException("invalid input syntax for type double precision", "ERROR", "ERROR", "22P02"),
        new HttpRequestException("not found", null, HttpStatusCode.NotFound),
        new HttpRequestException("bad request", null, HttpStatusCode.BadRequest),
        new InvalidOperationException("value -5 must not be negative"),
        new RejectEventException("value 0 is not a plausible reading"),
        new InvalidEnvelopeException("record value is empty"),
        new System.Text.Json.JsonException("unexpected token"),
        new KafkaException(ErrorCode.InvalidMsg),
        new AggregateException(new ArgumentException("one"), new FormatException("two")),
    ];

    [Theory]
    [MemberData(nameof(Transient))]
    public void Is_DependencyThatDidNotAnswer_IsTransient(Exception exception) => Assert.True(TransientFailure.Is(exception));

    [Theory]
    [MemberData(nameof(Deterministic))]
    public void Is_FailureThatRepeatsOnTheSameInput_IsNotTransient(Exception exception) => Assert.False(TransientFailure.Is(exception));

    [Fact]
    public void Is_CancellationByShutdown_IsNotTransientButByATimeoutIs()
    {
        using var shutdown = new CancellationTokenSource();
        var cancelled = new OperationCanceledException();
        Assert.True(TransientFailure.Is(cancelled, shutdown.Token));
        shutdown.Cancel();
        Assert.False(TransientFailure.Is(cancelled, shutdown.Token));
        Assert.False(TransientFailure.Is(new NpgsqlException("wrapped", new OperationCanceledException()), shutdown.Token));
    }

    [Fact]
    public void Register_ServiceRule_ExtendsTheClassification()
    {
        Assert.False(TransientFailure.Is(new ModelStoreBusyException()));
        TransientFailure.Register(e => e is ModelStoreBusyException);
        Assert.True(TransientFailure.Is(new InvalidOperationException("outer", new ModelStoreBusyException())));
    }

    [Theory]
    [InlineData("database")]
    [InlineData("service")]
    [InlineData("broker")]
    public void DependencyOf_NamesTheDependencyForMessages(string expected)
    {
        Exception exception = expected switch
        {
            "database" => new NpgsqlException("Failed to connect"),
            "service" => new HttpRequestException("refused"),
            _ => new KafkaException(ErrorCode.Local_Transport),
        };
        Assert.Equal(expected, TransientFailure.DependencyOf(new InvalidOperationException("outer", exception)));
    }

    sealed class ModelStoreBusyException : Exception;
}
