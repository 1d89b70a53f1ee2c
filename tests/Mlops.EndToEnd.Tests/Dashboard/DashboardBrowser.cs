using System.Runtime.CompilerServices;
using Microsoft.Playwright;
using Mlops.Testing;

namespace Mlops.EndToEnd.Tests.Dashboard;

/// <summary>
/// Debian's chromium driven by Playwright (headless, <c>--no-sandbox</c>: the tests run as root) against the gateway's
/// dashboard. Playwright's own browser download cannot work on these machines, so the browser is the one infra.sh
/// installs. Screenshots go to <c>.local/test-results/journey/dashboard/</c>, beside the journey stage's results.
/// </summary>
public sealed class DashboardBrowser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>What chromium reported of each page's Content-Security-Policy violations, across its navigations.</summary>
    static readonly ConditionalWeakTable<IPage, List<string>> CspViolations = [];

    readonly IPlaywright _playwright;
    readonly IBrowser _browser;
    readonly Uri _gateway;
    int _loads;

    DashboardBrowser(IPlaywright playwright, IBrowser browser, Uri gateway)
    {
        _playwright = playwright;
        _browser = browser;
        _gateway = gateway;
    }

    public static string ScreenshotDirectory { get; } =
        Directory.CreateDirectory(Path.Combine(PlatformInfrastructure.RepositoryRoot, ".local", "test-results", "journey", "dashboard")).FullName;

    public static async Task<DashboardBrowser> LaunchAsync(Uri gateway)
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: infra/local/infra.sh installs Debian's chromium");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true, Args = ["--no-sandbox"] });
        return new DashboardBrowser(playwright, browser, gateway);
    }

    /// <summary>A browser session of its own (cookies apart) signed in through the page's form with <paramref name="apiKey"/>.</summary>
    public async Task<IPage> SignInAsync(string apiKey)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _gateway.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var page = await context.NewPageAsync();
        // The gateway's CSP refuses inline script, javascript: URLs among them; chromium says so on the console only, and
        // the click still seems to work, so a page that breaks it would go unnoticed without this.
        var violations = CspViolations.GetOrCreateValue(page);
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                lock (violations)
                {
                    violations.Add(message.Text);
                }
            }
        };
        await page.GotoAsync("/");
        await page.GetByLabel("API key").FillAsync(apiKey);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.Locator("#who [data-action=sign-out]").WaitForAsync(new() { Timeout = 30_000 });
        return page;
    }

    /// <summary>
    /// Loads <c>/#/<paramref name="route"/></c> afresh, waits until the page has rendered what its API calls returned,
    /// saves a full-page screenshot as <paramref name="name"/>.png and returns the page's text.
    /// </summary>
    public async Task<string> ShowAsync(IPage page, string route, string name)
    {
        var pageId = route.Split('/')[0];
        await page.GotoAsync($"/?load={++_loads}#/{route}");
        await page.Locator($"main[data-page='{pageId}'][data-ready='true']").WaitForAsync(new() { Timeout = 60_000 });
        // Charts are drawn on canvas right after the data arrives; one frame later they are on screen.
        await page.WaitForTimeoutAsync(300);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, $"{name}.png"), FullPage = true });
        return await page.Locator("main").InnerTextAsync();
    }

    /// <summary>Texts of the error boxes the page shows (an API call that failed), and the page's CSP violations so far.</summary>
    public static async Task<IReadOnlyList<string>> ErrorsAsync(IPage page)
    {
        var errors = (await page.Locator("main .error").AllInnerTextsAsync()).ToList();
        if (CspViolations.TryGetValue(page, out var violations))
        {
            lock (violations)
            {
                errors.AddRange(violations.Select(v => $"CSP violation: {v}"));
            }
        }

        return errors;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
