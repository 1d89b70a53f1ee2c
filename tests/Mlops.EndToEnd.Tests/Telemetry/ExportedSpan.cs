namespace Mlops.EndToEnd.Tests.Telemetry;

/// <summary>A span as a service exported it: the resource's service name and the span's identity (hex ids).</summary>
public sealed record ExportedSpan(string? ServiceName, string TraceId, string SpanId, string? ParentSpanId, string Name);
