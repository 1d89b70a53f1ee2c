using Google.Protobuf;
using Mlops.Onnx.Ir;

namespace Mlops.Onnx;

/// <summary>Serialises models to the bytes ONNX readers load.</summary>
public static class OnnxModelWriter
{
    /// <summary>The model's protobuf encoding; the same model always gives the same bytes.</summary>
    public static byte[] ToBytes(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.ToByteArray();
    }

    /// <summary>Writes the model's encoding to a file, replacing it.</summary>
    public static void WriteFile(ModelProto model, string path) => File.WriteAllBytes(path, ToBytes(model));
}
