using System.CommandLine;
using Mlops.Cli.Commands;

namespace Mlops.Cli;

/// <summary>The command tree.</summary>
public static class CliApp
{
    /// <summary>Builds the root command with every subcommand.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("mlops — the platform from the command line, through the gateway (MLOPS_GATEWAY, MLOPS_API_KEY).");
        root.Options.Add(CliContext.GatewayOption);
        root.Options.Add(CliContext.ApiKeyOption);
        root.Subcommands.Add(ApplyCommand.Create());
        root.Subcommands.Add(SchemasCommand.Create());
        root.Subcommands.Add(FeatureSetsCommand.Create());
        root.Subcommands.Add(IngestCommand.Create());
        root.Subcommands.Add(LabelsCommand.Create());
        root.Subcommands.Add(DatasetsCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(RunsCommand.Create());
        root.Subcommands.Add(ModelsCommand.Create());
        root.Subcommands.Add(PromoteCommand.Create());
        root.Subcommands.Add(PredictCommand.Create());
        root.Subcommands.Add(ExplainCommand.Create());
        root.Subcommands.Add(BatchPredictCommand.Create());
        root.Subcommands.Add(WatchCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(DeadLettersCommand.Create());
        root.Subcommands.Add(KeysCommand.Create());
        return root;
    }
}
