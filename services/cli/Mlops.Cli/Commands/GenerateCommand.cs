using System.CommandLine;
using Mlops.Cli.Core.Csv;
using Mlops.Cli.Core.Ward;
using Spectre.Console;

namespace Mlops.Cli.Commands;

/// <summary><c>mlops generate --out dir</c>: writes a synthetic ward as the two CSV files <c>ingest</c> and <c>labels</c> take.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for observations.csv and outcomes.csv", DefaultValueFactory = _ => new DirectoryInfo(".") };
        var (patients, seed, hours) = WardOptionsFrom();
        var command = new Command("generate", "Write a synthetic ward (observations.csv, outcomes.csv)") { output, patients, seed, hours };
        command.SetAction(parse =>
        {
            var ward = WardGenerator.Generate(new WardOptions { Patients = parse.GetValue(patients), Seed = parse.GetValue(seed), HistoryHours = parse.GetValue(hours) });
            var folder = parse.GetValue(output)!;
            folder.Create();
            using (var writer = File.CreateText(Path.Combine(folder.FullName, "observations.csv")))
            {
                ObservationCsv.Write(writer, ward.Observations);
            }

            using (var writer = File.CreateText(Path.Combine(folder.FullName, "outcomes.csv")))
            {
                OutcomeCsv.Write(writer, ward.Outcomes);
            }

            AnsiConsole.MarkupLine($"{ward.Observations.Count} observations and {ward.Outcomes.Count} outcomes of {ward.Patients.Count} patients written to {Markup.Escape(folder.FullName)}");
            return 0;
        });
        return command;
    }

    /// <summary>The ward options shared by <c>generate</c> and <c>demo</c>.</summary>
    public static (Option<int> Patients, Option<int> Seed, Option<double> Hours) WardOptionsFrom() => (
        new Option<int>("--patients") { Description = "Patients on the synthetic ward", DefaultValueFactory = _ => 500 },
        new Option<int>("--seed") { Description = "Seed (the same seed gives the same ward)", DefaultValueFactory = _ => 42 },
        new Option<double>("--hours") { Description = "Hours of history per patient", DefaultValueFactory = _ => 24 });
}
