using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization;
using Mlops.Training.Algorithms;
using Mlops.Training.Algorithms.Data;
using Mlops.Training.Algorithms.Ensembles;
using Mlops.Training.Algorithms.Evaluation;
using Mlops.Training.Algorithms.Gbdt;
using Mlops.Training.Algorithms.Linear;
using Mlops.Training.Data;

namespace Mlops.Training.Pipeline;

/// <summary>
/// Byte forms of what a step hands to the next: gzip'd, exact (floats and doubles bit for bit), so a step that
/// reloads its inputs produces the same model as one that found them in memory.
/// </summary>
public static class WorkspaceCodec
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    const byte Gbdt = 1;
    const byte Logistic = 2;
    const byte Ensemble = 3;

    public static byte[] EncodeRows(List<TrainingSetRow> rows) => Compress(JsonSerializer.SerializeToUtf8Bytes(rows, Json));

    public static List<TrainingSetRow> DecodeRows(byte[] bytes) =>
        JsonSerializer.Deserialize<List<TrainingSetRow>>(Decompress(bytes), Json) ?? throw new InvalidDataException("empty rows");

    public static byte[] EncodeJson<T>(T value) => Compress(JsonSerializer.SerializeToUtf8Bytes(value, Json));

    public static T DecodeJson<T>(byte[] bytes) => JsonSerializer.Deserialize<T>(Decompress(bytes), Json) ?? throw new InvalidDataException("empty " + typeof(T).Name);

    public static byte[] EncodeEvaluation(EvaluationReport report) => Compress(JsonSerializer.SerializeToUtf8Bytes(report, Json));

    public static EvaluationReport DecodeEvaluation(byte[] bytes) =>
        JsonSerializer.Deserialize<EvaluationReport>(Decompress(bytes), Json) ?? throw new InvalidDataException("empty evaluation");

    public static byte[] EncodeData(TabularData data) => Write(w =>
    {
        w.Write(data.Columns);
        w.Write(data.Rows);
        foreach (var name in data.ColumnNames)
        {
            w.Write(name);
        }

        WriteFloats(w, data.Features);
        WriteFloats(w, data.Labels);
    });

    public static TabularData DecodeData(byte[] bytes) => Read(bytes, r =>
    {
        var columns = r.ReadInt32();
        r.ReadInt32();
        var names = new string[columns];
        for (var i = 0; i < columns; i++)
        {
            names[i] = r.ReadString();
        }

        var features = ReadFloats(r);
        var labels = ReadFloats(r);
        return new TabularData(features, labels, columns, names);
    });

    public static byte[] EncodeModel(IBinaryClassifier model) => Write(w => WriteModel(w, model));

    public static IBinaryClassifier DecodeModel(byte[] bytes) => Read(bytes, ReadModel);

    static void WriteModel(BinaryWriter w, IBinaryClassifier model)
    {
        switch (model)
        {
            case GbdtModel gbdt:
                w.Write(Gbdt);
                w.Write(gbdt.FeatureCount);
                w.Write(gbdt.BaseScore);
                w.Write(gbdt.Trees.Count);
                foreach (var tree in gbdt.Trees)
                {
                    WriteInts(w, tree.Feature);
                    WriteFloats(w, tree.Threshold);
                    w.Write(tree.BinThreshold.Length);
                    w.Write(tree.BinThreshold);
                    w.Write(tree.MissingGoesLeft.Length);
                    foreach (var b in tree.MissingGoesLeft)
                    {
                        w.Write(b);
                    }

                    WriteInts(w, tree.Left);
                    WriteInts(w, tree.Right);
                    WriteFloats(w, tree.Value);
                }

                break;
            case LogisticRegressionModel linear:
                w.Write(Logistic);
                w.Write(linear.Weights.Length);
                foreach (var weight in linear.Weights)
                {
                    w.Write(weight);
                }

                w.Write(linear.Intercept);
                WriteFloats(w, linear.FillValues);
                break;
            case BaggedEnsemble ensemble:
                w.Write(Ensemble);
                w.Write(ensemble.Members.Count);
                foreach (var member in ensemble.Members)
                {
                    WriteModel(w, member);
                }

                break;
            default:
                throw new NotSupportedException($"a {model.GetType().Name} cannot be stored between steps");
        }
    }

    static IBinaryClassifier ReadModel(BinaryReader r)
    {
        switch (r.ReadByte())
        {
            case Gbdt:
                var featureCount = r.ReadInt32();
                var baseScore = r.ReadSingle();
                var trees = new RegressionTree[r.ReadInt32()];
                for (var t = 0; t < trees.Length; t++)
                {
                    var feature = ReadInts(r);
                    var threshold = ReadFloats(r);
                    var bins = r.ReadBytes(r.ReadInt32());
                    var missingLeft = new bool[r.ReadInt32()];
                    for (var i = 0; i < missingLeft.Length; i++)
                    {
                        missingLeft[i] = r.ReadBoolean();
                    }

                    trees[t] = new RegressionTree(feature, threshold, bins, missingLeft, ReadInts(r), ReadInts(r), ReadFloats(r));
                }

                return new GbdtModel(featureCount, baseScore, trees);
            case Logistic:
                var weights = new double[r.ReadInt32()];
                for (var i = 0; i < weights.Length; i++)
                {
                    weights[i] = r.ReadDouble();
                }

                var intercept = r.ReadDouble();
                return new LogisticRegressionModel(weights, intercept, ReadFloats(r));
            case Ensemble:
                var members = new IBinaryClassifier[r.ReadInt32()];
                for (var i = 0; i < members.Length; i++)
                {
                    members[i] = ReadModel(r);
                }

                return new BaggedEnsemble(members);
            case var kind:
                throw new InvalidDataException($"unknown stored model kind {kind}");
        }
    }

    static void WriteInts(BinaryWriter w, int[] values)
    {
        w.Write(values.Length);
        foreach (var v in values)
        {
            w.Write(v);
        }
    }

    static int[] ReadInts(BinaryReader r)
    {
        var values = new int[r.ReadInt32()];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = r.ReadInt32();
        }

        return values;
    }

    static void WriteFloats(BinaryWriter w, float[] values)
    {
        w.Write(values.Length);
        foreach (var v in values)
        {
            w.Write(v);
        }
    }

    static float[] ReadFloats(BinaryReader r)
    {
        var values = new float[r.ReadInt32()];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = r.ReadSingle();
        }

        return values;
    }

    static byte[] Write(Action<BinaryWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var writer = new BinaryWriter(gzip))
        {
            write(writer);
        }

        return buffer.ToArray();
    }

    static T Read<T>(byte[] bytes, Func<BinaryReader, T> read)
    {
        using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var reader = new BinaryReader(gzip);
        return read(reader);
    }

    static byte[] Compress(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(bytes);
        }

        return buffer.ToArray();
    }

    static byte[] Decompress(byte[] bytes)
    {
        using var gzip = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var output = new MemoryStream();
        gzip.CopyTo(output);
        return output.ToArray();
    }
}
