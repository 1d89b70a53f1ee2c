namespace Mlops.OnnxRuntime;

/// <summary>An error ONNX Runtime reported, with its code and its own message.</summary>
public sealed class OnnxRuntimeException : Exception
{
    /// <summary>Creates the exception from ORT's code and message.</summary>
    public OnnxRuntimeException(OrtErrorCode code, string message)
        : base($"ONNX Runtime error {code}: {message}")
    {
        Code = code;
        OrtMessage = message;
    }

    /// <summary>ORT's error code.</summary>
    public OrtErrorCode Code { get; }

    /// <summary>ORT's message, unchanged.</summary>
    public string OrtMessage { get; }
}
