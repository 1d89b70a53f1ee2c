using System.Runtime.InteropServices;

namespace Mlops.OnnxRuntime.Native;

/// <summary>A null-terminated UTF-8 copy of a string in native memory, for names passed to every run.</summary>
internal sealed class Utf8StringHandle : SafeHandle
{
    public Utf8StringHandle(string value)
        : base(0, ownsHandle: true)
    {
        Value = value;
        SetHandle(Marshal.StringToCoTaskMemUTF8(value));
    }

    public string Value { get; }

    public override bool IsInvalid => handle == 0;

    public nint Pointer => handle;

    protected override bool ReleaseHandle()
    {
        Marshal.FreeCoTaskMem(handle);
        return true;
    }
}
