using System.Runtime.InteropServices;

namespace Mlops.OnnxRuntime.Native;

/// <summary>
/// The ONNX Runtime function table (<c>OrtApi</c>) with the entries this binding uses, as typed function pointers.
/// Each slot is the entry's position in the C struct; the struct only ever grows at its end, so a slot that is right
/// for one runtime version is right for every later one. All pointers are passed as <see cref="nint"/>.
/// </summary>
internal sealed unsafe class OrtApi
{
    /// <summary>The API version requested from the runtime; ONNX Runtime 1.N answers API versions up to N.</summary>
    internal const uint ApiVersion = 23;

    // Slots in the OrtApi struct (0-based), checked against onnxruntime_c_api.h.
    const int GetErrorCodeSlot = 1;
    const int GetErrorMessageSlot = 2;
    const int CreateEnvSlot = 3;
    const int CreateSessionFromArraySlot = 8;
    const int RunSlot = 9;
    const int CreateSessionOptionsSlot = 10;
    const int SetSessionExecutionModeSlot = 13;
    const int SetSessionGraphOptimizationLevelSlot = 23;
    const int SetIntraOpNumThreadsSlot = 24;
    const int SetInterOpNumThreadsSlot = 25;
    const int SessionGetInputCountSlot = 30;
    const int SessionGetOutputCountSlot = 31;
    const int SessionGetInputTypeInfoSlot = 33;
    const int SessionGetOutputTypeInfoSlot = 34;
    const int SessionGetInputNameSlot = 36;
    const int SessionGetOutputNameSlot = 37;
    const int CreateTensorWithDataAsOrtValueSlot = 49;
    const int GetTensorMutableDataSlot = 51;
    const int CastTypeInfoToTensorInfoSlot = 55;
    const int GetTensorElementTypeSlot = 60;
    const int GetDimensionsCountSlot = 61;
    const int GetDimensionsSlot = 62;
    const int GetTensorShapeElementCountSlot = 64;
    const int GetTensorTypeAndShapeSlot = 65;
    const int CreateCpuMemoryInfoSlot = 69;
    const int AllocatorFreeSlot = 76;
    const int GetAllocatorWithDefaultOptionsSlot = 78;
    const int ReleaseEnvSlot = 92;
    const int ReleaseStatusSlot = 93;
    const int ReleaseMemoryInfoSlot = 94;
    const int ReleaseSessionSlot = 95;
    const int ReleaseValueSlot = 96;
    const int ReleaseTypeInfoSlot = 98;
    const int ReleaseTensorTypeAndShapeInfoSlot = 99;
    const int ReleaseSessionOptionsSlot = 100;
    const int GetAvailableProvidersSlot = 125;
    const int ReleaseAvailableProvidersSlot = 126;
    const int SessionOptionsAppendExecutionProviderCudaV2Slot = 204;
    const int CreateCudaProviderOptionsSlot = 205;
    const int UpdateCudaProviderOptionsSlot = 206;
    const int ReleaseCudaProviderOptionsSlot = 208;

    OrtApi(nint table, string version)
    {
        var t = (nint*)table;
        Version = version;
        GetErrorCode = (delegate* unmanaged[Cdecl]<nint, int>)t[GetErrorCodeSlot];
        GetErrorMessage = (delegate* unmanaged[Cdecl]<nint, nint>)t[GetErrorMessageSlot];
        CreateEnv = (delegate* unmanaged[Cdecl]<int, byte*, nint*, nint>)t[CreateEnvSlot];
        CreateSessionFromArray = (delegate* unmanaged[Cdecl]<nint, void*, nuint, nint, nint*, nint>)t[CreateSessionFromArraySlot];
        Run = (delegate* unmanaged[Cdecl]<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint>)t[RunSlot];
        CreateSessionOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)t[CreateSessionOptionsSlot];
        SetSessionExecutionMode = (delegate* unmanaged[Cdecl]<nint, int, nint>)t[SetSessionExecutionModeSlot];
        SetSessionGraphOptimizationLevel = (delegate* unmanaged[Cdecl]<nint, int, nint>)t[SetSessionGraphOptimizationLevelSlot];
        SetIntraOpNumThreads = (delegate* unmanaged[Cdecl]<nint, int, nint>)t[SetIntraOpNumThreadsSlot];
        SetInterOpNumThreads = (delegate* unmanaged[Cdecl]<nint, int, nint>)t[SetInterOpNumThreadsSlot];
        SessionGetInputCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)t[SessionGetInputCountSlot];
        SessionGetOutputCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)t[SessionGetOutputCountSlot];
        SessionGetInputTypeInfo = (delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint>)t[SessionGetInputTypeInfoSlot];
        SessionGetOutputTypeInfo = (delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint>)t[SessionGetOutputTypeInfoSlot];
        SessionGetInputName = (delegate* unmanaged[Cdecl]<nint, nuint, nint, nint*, nint>)t[SessionGetInputNameSlot];
        SessionGetOutputName = (delegate* unmanaged[Cdecl]<nint, nuint, nint, nint*, nint>)t[SessionGetOutputNameSlot];
        CreateTensorWithDataAsOrtValue = (delegate* unmanaged[Cdecl]<nint, void*, nuint, long*, nuint, int, nint*, nint>)t[CreateTensorWithDataAsOrtValueSlot];
        GetTensorMutableData = (delegate* unmanaged[Cdecl]<nint, void**, nint>)t[GetTensorMutableDataSlot];
        CastTypeInfoToTensorInfo = (delegate* unmanaged[Cdecl]<nint, nint*, nint>)t[CastTypeInfoToTensorInfoSlot];
        GetTensorElementType = (delegate* unmanaged[Cdecl]<nint, int*, nint>)t[GetTensorElementTypeSlot];
        GetDimensionsCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)t[GetDimensionsCountSlot];
        GetDimensions = (delegate* unmanaged[Cdecl]<nint, long*, nuint, nint>)t[GetDimensionsSlot];
        GetTensorShapeElementCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)t[GetTensorShapeElementCountSlot];
        GetTensorTypeAndShape = (delegate* unmanaged[Cdecl]<nint, nint*, nint>)t[GetTensorTypeAndShapeSlot];
        CreateCpuMemoryInfo = (delegate* unmanaged[Cdecl]<int, int, nint*, nint>)t[CreateCpuMemoryInfoSlot];
        AllocatorFree = (delegate* unmanaged[Cdecl]<nint, nint, nint>)t[AllocatorFreeSlot];
        GetAllocatorWithDefaultOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)t[GetAllocatorWithDefaultOptionsSlot];
        ReleaseEnv = (delegate* unmanaged[Cdecl]<nint, void>)t[ReleaseEnvSlot];
        ReleaseStatus = (delegate* unmanaged[Cdecl]<nint, void>)t[ReleaseStatusSlot];
        ReleaseMemoryInfo = (delegate* unmanaged[Cdecl]<nint, void>)t[ReleaseMemoryInfoSlot];
        ReleaseSession = (delegate* unmanaged[Cdecl]<nint, void>)t[ReleaseSessionSlot];
        ReleaseValue = (delegate* unmanaged[Cdecl]<nint, void>)t[ReleaseValueSlot];
        ReleaseTypeInfo = (delegate* unmanaged[Cdecl]<nint, void>)t[ReleaseTypeInfoSlot];
        ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged[Cdecl]<nint, void>)t[ReleaseTensorTypeAndShapeInfoSlot];
        ReleaseSessionOptions = (delegate* unmanaged[Cdecl]<nint, void>)t[ReleaseSessionOptionsSlot];
        GetAvailableProviders = (delegate* unmanaged[Cdecl]<nint*, int*, nint>)t[GetAvailableProvidersSlot];
        ReleaseAvailableProviders = (delegate* unmanaged[Cdecl]<nint, int, nint>)t[ReleaseAvailableProvidersSlot];
        SessionOptionsAppendExecutionProviderCudaV2 = (delegate* unmanaged[Cdecl]<nint, nint, nint>)t[SessionOptionsAppendExecutionProviderCudaV2Slot];
        CreateCudaProviderOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)t[CreateCudaProviderOptionsSlot];
        UpdateCudaProviderOptions = (delegate* unmanaged[Cdecl]<nint, nint*, nint*, nuint, nint>)t[UpdateCudaProviderOptionsSlot];
        ReleaseCudaProviderOptions = (delegate* unmanaged[Cdecl]<nint, void>)t[ReleaseCudaProviderOptionsSlot];
    }

    /// <summary>The runtime's own version string (from <c>OrtApiBase</c>, not from the table).</summary>
    public string Version { get; }

    public readonly delegate* unmanaged[Cdecl]<nint, int> GetErrorCode;
    public readonly delegate* unmanaged[Cdecl]<nint, nint> GetErrorMessage;
    public readonly delegate* unmanaged[Cdecl]<int, byte*, nint*, nint> CreateEnv;
    public readonly delegate* unmanaged[Cdecl]<nint, void*, nuint, nint, nint*, nint> CreateSessionFromArray;
    public readonly delegate* unmanaged[Cdecl]<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint> Run;
    public readonly delegate* unmanaged[Cdecl]<nint*, nint> CreateSessionOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetSessionExecutionMode;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetSessionGraphOptimizationLevel;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetIntraOpNumThreads;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetInterOpNumThreads;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> SessionGetInputCount;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> SessionGetOutputCount;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint> SessionGetInputTypeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint> SessionGetOutputTypeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint, nint, nint*, nint> SessionGetInputName;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint, nint, nint*, nint> SessionGetOutputName;
    public readonly delegate* unmanaged[Cdecl]<nint, void*, nuint, long*, nuint, int, nint*, nint> CreateTensorWithDataAsOrtValue;
    public readonly delegate* unmanaged[Cdecl]<nint, void**, nint> GetTensorMutableData;
    public readonly delegate* unmanaged[Cdecl]<nint, nint*, nint> CastTypeInfoToTensorInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, int*, nint> GetTensorElementType;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> GetDimensionsCount;
    public readonly delegate* unmanaged[Cdecl]<nint, long*, nuint, nint> GetDimensions;
    public readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> GetTensorShapeElementCount;
    public readonly delegate* unmanaged[Cdecl]<nint, nint*, nint> GetTensorTypeAndShape;
    public readonly delegate* unmanaged[Cdecl]<int, int, nint*, nint> CreateCpuMemoryInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, nint, nint> AllocatorFree;
    public readonly delegate* unmanaged[Cdecl]<nint*, nint> GetAllocatorWithDefaultOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseEnv;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseStatus;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseMemoryInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseSession;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseValue;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseTypeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseTensorTypeAndShapeInfo;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseSessionOptions;
    public readonly delegate* unmanaged[Cdecl]<nint*, int*, nint> GetAvailableProviders;
    public readonly delegate* unmanaged[Cdecl]<nint, int, nint> ReleaseAvailableProviders;
    public readonly delegate* unmanaged[Cdecl]<nint, nint, nint> SessionOptionsAppendExecutionProviderCudaV2;
    public readonly delegate* unmanaged[Cdecl]<nint*, nint> CreateCudaProviderOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, nint*, nint*, nuint, nint> UpdateCudaProviderOptions;
    public readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseCudaProviderOptions;

    /// <summary>
    /// Loads the runtime from <paramref name="libraryPath"/> and asks it for the function table. The library stays
    /// loaded for the life of the process: ONNX Runtime keeps threads and statics that must not be unmapped.
    /// </summary>
    public static OrtApi Load(string libraryPath)
    {
        if (!File.Exists(libraryPath))
        {
            throw new OnnxRuntimeException(OrtErrorCode.NoSuchFile, $"The ONNX Runtime library '{libraryPath}' does not exist (configure OnnxRuntime:LibraryPath).");
        }

        var library = NativeLibrary.Load(libraryPath);
        var getApiBase = (delegate* unmanaged[Cdecl]<nint>)NativeLibrary.GetExport(library, "OrtGetApiBase");
        var apiBase = (nint*)getApiBase();

        // OrtApiBase is { GetApi(uint32 version), GetVersionString() }.
        var getApi = (delegate* unmanaged[Cdecl]<uint, nint>)apiBase[0];
        var getVersionString = (delegate* unmanaged[Cdecl]<nint>)apiBase[1];
        var version = Marshal.PtrToStringUTF8(getVersionString()) ?? "unknown";
        var table = getApi(ApiVersion);
        if (table == 0)
        {
            throw new OnnxRuntimeException(OrtErrorCode.Fail, $"ONNX Runtime {version} at '{libraryPath}' does not offer C API version {ApiVersion}; version 1.{ApiVersion} or newer is required.");
        }

        return new OrtApi(table, version);
    }

    /// <summary>Throws the error a non-null status carries (releasing the status first); does nothing on success.</summary>
    public void Check(nint status)
    {
        if (status == 0)
        {
            return;
        }

        OrtErrorCode code;
        string message;
        try
        {
            code = (OrtErrorCode)GetErrorCode(status);
            message = Marshal.PtrToStringUTF8(GetErrorMessage(status)) ?? "";
        }
        finally
        {
            ReleaseStatus(status);
        }

        throw new OnnxRuntimeException(code, message);
    }
}
