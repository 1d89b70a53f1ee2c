using Google.Protobuf;

namespace Mlops.EndToEnd.Tests.Telemetry;

public sealed class OtlpTraceDecoderTests
{
    [Fact]
    public void Decode_ExportRequest_ReadsServiceNameAndSpanIdentity()
    {
        var traceId = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        var spanId = Enumerable.Range(101, 8).Select(i => (byte)i).ToArray();
        var parent = Enumerable.Range(201, 8).Select(i => (byte)i).ToArray();
        var span = Message(w =>
        {
            w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(traceId));
            w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(spanId));
            w.WriteTag(3, WireFormat.WireType.LengthDelimited); w.WriteString("state=1");
            w.WriteTag(4, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(parent));
            w.WriteTag(5, WireFormat.WireType.LengthDelimited); w.WriteString("ingest observations");
            w.WriteTag(6, WireFormat.WireType.Varint); w.WriteInt32(2);
        });
        var anyValue = Message(w => { w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteString("ingestion"); });
        var attribute = Message(w =>
        {
            w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteString("service.name");
            w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(anyValue));
        });
        var resource = Message(w => { w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(attribute)); });
        var scopeSpans = Message(w => { w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(span)); });
        var resourceSpans = Message(w =>
        {
            w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(resource));
            w.WriteTag(2, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(scopeSpans));
        });
        var request = Message(w => { w.WriteTag(1, WireFormat.WireType.LengthDelimited); w.WriteBytes(ByteString.CopyFrom(resourceSpans)); });

        var decoded = Assert.Single(OtlpTraceDecoder.Decode(request));

        Assert.Equal(new ExportedSpan("ingestion", "0102030405060708090a0b0c0d0e0f10", "65666768696a6b6c", "c9cacbcccdcecfd0", "ingest observations"), decoded);
    }

    static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return buffer.ToArray();
    }
}
