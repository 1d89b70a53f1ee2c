using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace Mlops.Cli.Rendering;

/// <summary>Console output conventions: errors in red on stderr, timed steps, numbers with invariant culture.</summary>
public static class Ui
{
    /// <summary>Writes an error (markup-safe) to standard error.</summary>
    public static void Error(string message)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        console.MarkupLine("[red]error:[/] " + Markup.Escape(message));
    }

    /// <summary>A heading for one step of a longer flow.</summary>
    public static void Step(int number, string title) => AnsiConsole.MarkupLine($"\n[bold blue]{number}.[/] [bold]{Markup.Escape(title)}[/]");

    /// <summary>The closing line of a step, with its duration.</summary>
    public static void Done(Stopwatch watch, string summary) =>
        AnsiConsole.MarkupLine($"   [green]✔[/] {Markup.Escape(summary)} [grey]({Seconds(watch.Elapsed)})[/]");

    /// <summary>A detail line under a step.</summary>
    public static void Info(string text) => AnsiConsole.MarkupLine("   " + Markup.Escape(text));

    /// <summary>A warning line.</summary>
    public static void Warn(string text) => AnsiConsole.MarkupLine("   [yellow]![/] " + Markup.Escape(text));

    /// <summary>"12.3 s".</summary>
    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    /// <summary>A timestamp from the API, short (UTC, to the minute).</summary>
    public static string When(System.Text.Json.Nodes.JsonNode? node) =>
        node is not null && DateTimeOffset.TryParse(node.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)
            : "–";

    /// <summary>Invariant number formatting.</summary>
    public static string N(double value, string format = "0.000") => double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "–";

    /// <summary>A progress bar over <paramref name="total"/> items; the callback reports items done.</summary>
    public static async Task<T> ProgressAsync<T>(string title, int total, Func<Action<int>, Task<T>> work)
    {
        T result = default!;
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: Math.Max(1, total));
                result = await work(done => task.Value = done);
                task.Value = task.MaxValue;
            });
        return result;
    }
}
