using System.Globalization;
using System.Text;
using Mlops.Contracts.Registry;
using Mlops.Registry.Domain;

namespace Mlops.Registry.Cards;

/// <summary>Builds model cards and timelines from a model's state and events; renders cards as Markdown.</summary>
public static class ModelCardGenerator
{
    public static IReadOnlyList<TimelineEntry> Timeline(IEnumerable<RecordedEvent> events, string? version = null) =>
        events.Where(e => version is null || Concerns(e.Data, version)).Select(e => new TimelineEntry
        {
            Revision = e.Version, Position = e.Position, At = e.RecordedAt, Type = e.EventType, Actor = e.Metadata.Actor, Reason = e.Metadata.Reason, Data = e.Data,
        }).ToList();

    public static ModelCard Card(ModelState state, string version, IEnumerable<RecordedEvent> events)
    {
        var v = state.Versions.GetValueOrDefault(version) ?? throw new RegistryNotFoundException($"Model '{state.Name}' has no version {version}.");
        var r = v.Registration;
        return new ModelCard
        {
            Model = state.Name, Version = version, Stage = v.Stage, Aliases = state.AliasesOf(version).ToList(),
            RegisteredAt = v.RegisteredAt, RegisteredBy = r.RegisteredBy, Description = r.Description, IntendedUse = r.IntendedUse, Limitations = r.Limitations,
            Data = new ModelCardData { DatasetVersion = r.DatasetVersion, FeatureSetVersion = r.FeatureSetVersion, Inputs = r.Signature.Inputs, Outputs = r.Signature.Outputs },
            Metrics = r.Metrics,
            Lineage = new ModelCardLineage
            {
                TrainingRunId = r.TrainingRunId, CodeVersion = r.CodeVersion, DatasetVersion = r.DatasetVersion, FeatureSetVersion = r.FeatureSetVersion, ArtifactSha256 = r.ArtifactSha256,
            },
            History = Timeline(events, version),
        };
    }

    public static string Markdown(ModelCard card)
    {
        var md = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        md.AppendLine(c, $"# Model card: {card.Model} {card.Version}").AppendLine();
        md.AppendLine(c, $"- **Stage:** {card.Stage}");
        md.AppendLine(c, $"- **Aliases:** {(card.Aliases.Count == 0 ? "none" : string.Join(", ", card.Aliases))}");
        md.AppendLine(c, $"- **Registered:** {card.RegisteredAt:u} by {card.RegisteredBy}").AppendLine();
        if (card.Description is not null)
        {
            md.AppendLine(card.Description).AppendLine();
        }

        md.AppendLine("## Intended use").AppendLine().AppendLine(card.IntendedUse ?? "_Not stated at registration._").AppendLine();
        md.AppendLine("## Data and features").AppendLine();
        md.AppendLine(c, $"- Dataset version: `{card.Data.DatasetVersion}`");
        md.AppendLine(c, $"- Feature-set version: `{card.Data.FeatureSetVersion}`");
        md.AppendLine(c, $"- Inputs ({card.Data.Inputs.Count}): {string.Join(", ", card.Data.Inputs.Select(i => $"`{i.Name}` ({i.Type})"))}");
        md.AppendLine(c, $"- Outputs: {string.Join(", ", card.Data.Outputs.Select(o => $"`{o.Name}` ({o.Type})"))}").AppendLine();
        md.AppendLine("## Metrics").AppendLine().AppendLine("| metric | value |").AppendLine("|---|---|");
        foreach (var (name, value) in card.Metrics.Overall.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            md.AppendLine(c, $"| {name} | {value:0.####} |");
        }

        md.AppendLine();
        if (card.Metrics.Subgroups.Count > 0)
        {
            var names = card.Metrics.Subgroups.SelectMany(s => s.Value.Keys).Distinct().Order(StringComparer.Ordinal).ToList();
            md.AppendLine("### Subgroups").AppendLine().AppendLine("| subgroup | " + string.Join(" | ", names) + " |").AppendLine("|---|" + string.Concat(names.Select(_ => "---|")));
            foreach (var (group, values) in card.Metrics.Subgroups.OrderBy(s => s.Key, StringComparer.Ordinal))
            {
                md.AppendLine(c, $"| {group} | {string.Join(" | ", names.Select(n => values.TryGetValue(n, out var x) ? x.ToString("0.####", c) : "–"))} |");
            }

            md.AppendLine();
        }

        if (card.Metrics.Calibration.Count > 0)
        {
            md.AppendLine("### Calibration").AppendLine().AppendLine("| mean predicted | observed rate | n |").AppendLine("|---|---|---|");
            foreach (var bin in card.Metrics.Calibration)
            {
                md.AppendLine(c, $"| {bin.MeanPredicted:0.###} | {bin.ObservedRate:0.###} | {bin.Count} |");
            }

            md.AppendLine();
        }

        if (card.Metrics.Checks.Count > 0)
        {
            md.AppendLine("### Checks").AppendLine();
            foreach (var (name, passed) in card.Metrics.Checks.OrderBy(x => x.Key, StringComparer.Ordinal))
            {
                md.AppendLine(c, $"- {name}: {(passed ? "passed" : "FAILED")}");
            }

            md.AppendLine();
        }

        md.AppendLine("## Limitations").AppendLine().AppendLine(card.Limitations ?? "_Not stated at registration._").AppendLine();
        md.AppendLine("## Lineage").AppendLine();
        md.AppendLine(c, $"- Training run: `{card.Lineage.TrainingRunId}`");
        md.AppendLine(c, $"- Code version: `{card.Lineage.CodeVersion}`");
        md.AppendLine(c, $"- Dataset → features: `{card.Lineage.DatasetVersion}` → `{card.Lineage.FeatureSetVersion}`");
        md.AppendLine(c, $"- Artifact SHA-256: `{card.Lineage.ArtifactSha256}`").AppendLine();
        md.AppendLine("## History").AppendLine().AppendLine("| revision | time (UTC) | event | by | why |").AppendLine("|---|---|---|---|---|");
        foreach (var entry in card.History)
        {
            md.AppendLine(c, $"| {entry.Revision} | {entry.At:u} | {entry.Type} | {entry.Actor} | {entry.Reason?.Replace("|", "\\|", StringComparison.Ordinal)} |");
        }

        return md.ToString();
    }

    static bool Concerns(object data, string version) => data switch
    {
        ModelVersionRegistered e => e.Version == version,
        PromotionRequested e => e.Version == version,
        PromotionApproved e => e.Version == version,
        PromotionRejected e => e.Version == version,
        AliasAssigned e => e.Version == version || e.PreviousVersion == version,
        StageChanged e => e.Version == version,
        VersionArchived e => e.Version == version,
        RolledBack e => e.FromVersion == version || e.ToVersion == version,
        DeploymentChanged e => e.Routes.Any(r => r.Version == version),
        _ => false,
    };
}
