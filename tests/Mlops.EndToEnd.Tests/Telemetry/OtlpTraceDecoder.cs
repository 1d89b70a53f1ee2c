using System.Text;
using Google.Protobuf;

namespace Mlops.EndToEnd.Tests.Telemetry;

/// <summary>
/// Decodes just enough of an OTLP <c>ExportTraceServiceRequest</c> (protobuf) to follow traces: resource_spans(1) →
/// resource(1).attributes(1) for <c>service.name</c>, scope_spans(2) → spans(2) → trace_id(1), span_id(2),
/// parent_span_id(4), name(5). Unknown fields are skipped, so any OTLP version decodes.
/// </summary>
public static class OtlpTraceDecoder
{
    /// <summary>The spans of one request body.</summary>
    public static IReadOnlyList<ExportedSpan> Decode(byte[] body)
    {
        var spans = new List<ExportedSpan>();
        foreach (var resourceSpans in Repeated(body, 1))
        {
            string? service = null;
            var scopes = new List<byte[]>();
            var input = new CodedInputStream(resourceSpans);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1 when IsBytes(tag):
                        service = ServiceName(input.ReadBytes().ToByteArray());
                        break;
                    case 2 when IsBytes(tag):
                        scopes.Add(input.ReadBytes().ToByteArray());
                        break;
                    default:
                        input.SkipLastField();
                        break;
                }
            }

            foreach (var span in scopes.SelectMany(scope => Repeated(scope, 2)))
            {
                spans.Add(ReadSpan(span, service));
            }
        }

        return spans;
    }

    static ExportedSpan ReadSpan(byte[] span, string? service)
    {
        string traceId = "", spanId = "", name = "";
        string? parent = null;
        var input = new CodedInputStream(span);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when IsBytes(tag):
                    traceId = Convert.ToHexStringLower(input.ReadBytes().Span);
                    break;
                case 2 when IsBytes(tag):
                    spanId = Convert.ToHexStringLower(input.ReadBytes().Span);
                    break;
                case 4 when IsBytes(tag):
                    parent = Convert.ToHexStringLower(input.ReadBytes().Span) is { Length: > 0 } p ? p : null;
                    break;
                case 5 when IsBytes(tag):
                    name = input.ReadString();
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return new ExportedSpan(service, traceId, spanId, parent, name);
    }

    static string? ServiceName(byte[] resource)
    {
        foreach (var attribute in Repeated(resource, 1))
        {
            string? key = null, value = null;
            var input = new CodedInputStream(attribute);
            uint tag;
            while ((tag = input.ReadTag()) != 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1 when IsBytes(tag):
                        key = input.ReadString();
                        break;
                    case 2 when IsBytes(tag):
                        // AnyValue.string_value(1)
                        value = Repeated(input.ReadBytes().ToByteArray(), 1).Select(b => Encoding.UTF8.GetString(b)).FirstOrDefault();
                        break;
                    default:
                        input.SkipLastField();
                        break;
                }
            }

            if (key == "service.name")
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>Every length-delimited occurrence of <paramref name="field"/> in a message.</summary>
    static List<byte[]> Repeated(byte[] message, int field)
    {
        var found = new List<byte[]>();
        var input = new CodedInputStream(message);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && IsBytes(tag))
            {
                found.Add(input.ReadBytes().ToByteArray());
            }
            else
            {
                input.SkipLastField();
            }
        }

        return found;
    }

    static bool IsBytes(uint tag) => WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited;
}
