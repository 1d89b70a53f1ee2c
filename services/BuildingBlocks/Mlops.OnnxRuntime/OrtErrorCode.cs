namespace Mlops.OnnxRuntime;

/// <summary>ONNX Runtime's error codes (<c>OrtErrorCode</c>).</summary>
public enum OrtErrorCode
{
    /// <summary>Success.</summary>
    Ok = 0,

    /// <summary>Unspecified failure.</summary>
    Fail = 1,

    /// <summary>An argument was invalid (e.g. an unknown input name or a wrong shape).</summary>
    InvalidArgument = 2,

    /// <summary>A file does not exist.</summary>
    NoSuchFile = 3,

    /// <summary>No model.</summary>
    NoModel = 4,

    /// <summary>The engine failed.</summary>
    EngineError = 5,

    /// <summary>A kernel threw while running.</summary>
    RuntimeException = 6,

    /// <summary>The model bytes are not a valid ONNX protobuf.</summary>
    InvalidProtobuf = 7,

    /// <summary>The model is already loaded.</summary>
    ModelLoaded = 8,

    /// <summary>Not implemented (e.g. an execution provider absent from this build).</summary>
    NotImplemented = 9,

    /// <summary>The graph is invalid.</summary>
    InvalidGraph = 10,

    /// <summary>An execution provider failed.</summary>
    ExecutionProviderFail = 11,
}
