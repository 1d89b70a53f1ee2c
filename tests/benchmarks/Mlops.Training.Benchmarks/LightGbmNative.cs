using System.Runtime.InteropServices;

namespace Mlops.Training.Benchmarks;

/// <summary>
/// The few entry points of LightGBM's C API (include/LightGBM/c_api.h, 4.x) the baseline needs, bound to the
/// lib_lightgbm that the LightGBM NuGet package ships under runtimes/linux-x64/native. Every function returns 0 on
/// success and -1 on failure, with the message in <see cref="LGBM_GetLastError"/>; <see cref="Check"/> turns that into
/// an exception. Benchmark only: the training service never loads LightGBM.
/// </summary>
internal static partial class LightGbmNative
{
    private const string Library = "lib_lightgbm";

    /// <summary>C_API_DTYPE_FLOAT32: the element type of matrices and of the label field.</summary>
    public const int Float32 = 0;

    /// <summary>C_API_PREDICT_NORMAL: predictions with the objective's transform (probabilities for binary).</summary>
    public const int PredictNormal = 0;

    [LibraryImport(Library)]
    private static partial IntPtr LGBM_GetLastError();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int LGBM_DatasetCreateFromMat(
        float* data, int dataType, int nrow, int ncol, int isRowMajor, string parameters, IntPtr reference, out IntPtr dataset);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int LGBM_DatasetSetField(IntPtr dataset, string fieldName, float* fieldData, int numElement, int type);

    [LibraryImport(Library)]
    public static partial int LGBM_DatasetFree(IntPtr dataset);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int LGBM_BoosterCreate(IntPtr trainData, string parameters, out IntPtr booster);

    [LibraryImport(Library)]
    public static partial int LGBM_BoosterUpdateOneIter(IntPtr booster, out int isFinished);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int LGBM_BoosterPredictForMat(
        IntPtr booster, float* data, int dataType, int nrow, int ncol, int isRowMajor, int predictType,
        int startIteration, int numIteration, string parameter, out long outLength, double* outResult);

    [LibraryImport(Library)]
    public static partial int LGBM_BoosterFree(IntPtr booster);

    public static void Check(int result, string call)
    {
        if (result != 0)
        {
            throw new InvalidOperationException($"{call} failed: {Marshal.PtrToStringUTF8(LGBM_GetLastError())}");
        }
    }
}
