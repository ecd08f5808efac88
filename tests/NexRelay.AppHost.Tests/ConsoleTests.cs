using System.ClientModel;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using OpenAI;
using OpenAI.Chat;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// The console in a real browser (Debian's chromium through Playwright), on the AppHost started as ./run.sh starts it:
/// an operator creates and funds a wallet and a key, the key's holder watches its requests arrive (made with the official
/// OpenAI SDK), filters, opens one, downloads the CSV; the holder cannot reach another key's data; the operator revokes
/// the key and the edge refuses it. Every page passes axe-core and is reachable by keyboard. Screenshots go to
/// .nexrelay/test/results/console (the README's come from here).
/// </summary>
[Collection(DashboardCollection.Name)]
public sealed class ConsoleTests(DashboardCluster cluster)
{
    public static readonly string Artifacts = Path.Combine(DashboardTests.RepositoryRoot(), ".nexrelay", "test", "results", "console");

    [Fact]
    public async Task An_operator_funds_a_key_whose_holder_watches_its_requests_and_the_revoked_key_is_refused()
    {
        Directory.CreateDirectory(Artifacts);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox"] });
        try
        {
            await OperatorAndKeyHolderAsync(browser);
        }
        catch
        {
            // The console's own log, from the dashboard's console-log page, beside the screenshots.
            var log = await browser.NewPageAsync();
            await log.GotoAsync(new Uri(cluster.DashboardUrl, $"/login?t={cluster.BrowserToken}").ToString());
            await log.GotoAsync(new Uri(cluster.DashboardUrl, "/consolelogs/resource/console").ToString());
            await Task.Delay(8000);
            await File.WriteAllTextAsync(Path.Combine(Artifacts, "console-log.txt"), await log.InnerTextAsync("body"));
            throw;
        }
    }

    private async Task OperatorAndKeyHolderAsync(IBrowser browser)
    {

        // ---- operator: a wallet, a credit, a key ------------------------------------------------------------------
        var op = await NewPageAsync(browser);
        await SignInAsync(op, cluster.AdminToken);
        await op.WaitForURLAsync(u => u.EndsWith("/admin/wallets", StringComparison.Ordinal));
        await CheckPageAsync(op, "operator-wallets");

        var walletName = "Console " + Guid.NewGuid().ToString("N")[..8];
        await op.FillAsync("#wallet-name", walletName);
        await op.Locator("form:has(#wallet-name) fluent-button").ClickAsync();
        await op.WaitForURLAsync(u => u.Contains("/admin/wallets/", StringComparison.Ordinal) && u.Contains("created=1", StringComparison.Ordinal));
        var walletId = Guid.Parse(new Uri(op.Url).AbsolutePath.Split('/')[^1]);
        await Expect(op, "h1", walletName);

        // Bad input gets the API's own message beside the field, not a stack trace.
        await op.FillAsync("#credit-amount", "-5");
        await op.Locator("form:has(#credit-amount) fluent-button").ClickAsync();
        await Expect(op, "#credit-amount-error", "a number of USD above 0");
        Assert.DoesNotContain("Exception", await op.InnerTextAsync("body"), StringComparison.Ordinal);

        await op.FillAsync("#credit-amount", "50");
        var reference = await op.InputValueAsync("#credit-reference");
        await op.Locator("form:has(#credit-amount) fluent-button").ClickAsync();
        await Expect(op, "[role=status]", "Credited $50.00");
        await Expect(op, "[data-stat=available]", "$50.00");
        // The same reference again is the same credit (idempotent as the API is).
        await op.FillAsync("#credit-amount", "50");
        await op.FillAsync("#credit-reference", reference);
        await op.Locator("form:has(#credit-amount) fluent-button").ClickAsync();
        await Expect(op, "[role=status]", "Already credited");
        await Expect(op, "[data-stat=available]", "$50.00");

        await op.ClickAsync("summary:has-text('Create a key')");
        await op.FillAsync("#new-key-name", "console-agent");
        await op.FillAsync("#new-key-budget", "20");
        await op.Locator("form:has(#new-key-name) fluent-button").ClickAsync();
        var secret = (await op.Locator("#new-key-secret").TextContentAsync())!.Trim();
        Assert.StartsWith("nrk_", secret);
        await op.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "operator-wallet-new-key.png"), FullPage = true });
        // Shown once: the wallet's page never shows it again.
        await op.GotoAsync(new Uri(cluster.ConsoleUrl, $"/admin/wallets/{walletId}").ToString());
        Assert.DoesNotContain(secret, await op.ContentAsync(), StringComparison.Ordinal);
        await CheckPageAsync(op, "operator-wallet");

        // ---- the key holder: the SDK's requests appear in the table ---------------------------------------------------
        var chat = Sdk(secret).GetChatClient("gpt-5.4");
        for (var i = 0; i < 3; i++) await chat.CompleteChatAsync("Hello from the console test");
        var other = await OtherKeyAsync();

        var holder = await NewPageAsync(browser);
        await SignInAsync(holder, secret);
        await holder.WaitForURLAsync(u => u.EndsWith("/overview", StringComparison.Ordinal));
        await Expect(holder, "[data-stat=budget]", "of $20.00");
        await EventuallyAsync(holder, async () => (await holder.Locator("svg[data-chart=spend] rect").CountAsync()) > 0, "the spend chart's bar for today");
        Assert.Contains("3 requests", await holder.InnerTextAsync("[data-stat=today]"));
        await CheckPageAsync(holder, "overview");

        // The session cookie: HttpOnly, SameSite=Strict, and the key is not in it in clear.
        var cookie = (await holder.Context.CookiesAsync()).Single(c => c.Name == "nexrelay-console");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.DoesNotContain(secret, cookie.Value, StringComparison.Ordinal);
        Assert.DoesNotContain(secret[4..20], Uri.UnescapeDataString(cookie.Value), StringComparison.Ordinal);

        await holder.GotoAsync(new Uri(cluster.ConsoleUrl, "/requests").ToString());
        await EventuallyAsync(holder, async () => await holder.Locator("tr[data-request-id]").CountAsync() == 3, "the three requests");
        await CheckPageAsync(holder, "requests");
        // Live: a request made while the page is open appears without a reload (loaded afresh: the keyboard walk paused it).
        await holder.ReloadAsync();
        var before = holder.Url;
        await Sdk(secret).GetChatClient("claude-sonnet-4-6").CompleteChatAsync("One more");
        await holder.Locator("tr[data-request-id]").Nth(3).WaitForAsync(new() { Timeout = 30_000 });
        Assert.Equal(before, holder.Url);
        Assert.Contains("claude-sonnet-4-6", await holder.InnerTextAsync("tr[data-request-id] >> nth=0"));

        // Filter by model; open one request.
        await holder.FillAsync("#f-model", "gpt-5.4");
        await holder.Locator("form.filters fluent-button").ClickAsync();
        await holder.WaitForURLAsync(u => u.Contains("model=gpt-5.4", StringComparison.Ordinal));
        Assert.Equal(3, await holder.Locator("tr[data-request-id]").CountAsync());
        var requestId = await holder.Locator("tr[data-request-id]").First.GetAttributeAsync("data-request-id");
        await holder.Locator("tr[data-request-id] a").First.ClickAsync();
        await Expect(holder, "h1", requestId!);
        await CheckPageAsync(holder, "request");

        // The CSV of the filtered view is the API's own.
        await holder.GotoAsync(new Uri(cluster.ConsoleUrl, "/requests?model=gpt-5.4").ToString());
        var download = await holder.RunAndWaitForDownloadAsync(() => holder.ClickAsync("[data-testid=csv]"));
        var csv = await File.ReadAllTextAsync((await download.PathAsync())!);
        using (var edge = cluster.Edge())
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/logs?model=gpt-5.4");
            request.Headers.Authorization = new("Bearer", secret);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
            using var response = await edge.SendAsync(request);
            Assert.Equal(await response.Content.ReadAsStringAsync(), csv);
        }
        Assert.Equal(4, csv.Trim().Split('\n').Length); // a header and three rows

        await holder.GotoAsync(new Uri(cluster.ConsoleUrl, "/key").ToString());
        await Expect(holder, "main", "NEXRELAY_API_KEY");
        Assert.DoesNotContain(secret, await holder.ContentAsync(), StringComparison.Ordinal);
        await Expect(holder, "main", "gpt-5.4");
        await CheckPageAsync(holder, "key");

        // ---- a key holder reaches only their own key's data ---------------------------------------------------------
        var foreignRequest = await holder.APIRequest.GetAsync(new Uri(cluster.ConsoleUrl, $"/requests/{other.RequestId}").ToString());
        Assert.Equal(404, foreignRequest.Status);
        Assert.DoesNotContain("class=\"facts\"", await foreignRequest.TextAsync(), StringComparison.Ordinal);
        await holder.GotoAsync(new Uri(cluster.ConsoleUrl, $"/admin/wallets/{other.WalletId}").ToString());
        Assert.EndsWith("/denied", new Uri(holder.Url).AbsolutePath, StringComparison.Ordinal);
        var foreignCsv = await (await holder.APIRequest.GetAsync(new Uri(cluster.ConsoleUrl, $"/downloads/requests.csv?key_id={other.KeyId}&wallet_id={other.WalletId}").ToString())).TextAsync();
        Assert.DoesNotContain(other.RequestId, foreignCsv, StringComparison.Ordinal);
        Assert.Equal(5, foreignCsv.Trim().Split('\n').Length); // still this key's own four rows

        // Anti-forgery: a form post without the page's token is refused.
        var forged = await holder.APIRequest.PostAsync(new Uri(cluster.ConsoleUrl, "/signout").ToString(), new() { Form = holder.Context.APIRequest.CreateFormData() });
        Assert.Equal(400, forged.Status);

        // ---- the operator revokes the key; the edge refuses it --------------------------------------------------------
        var keyId = (await holder.Context.APIRequest.GetAsync(new Uri(cluster.EdgeUrl, "/api/v1/key").ToString(), new() { Headers = new Dictionary<string, string> { ["Authorization"] = $"Bearer {secret}" } })) is var keyResponse
            ? JsonNode.Parse(await keyResponse.TextAsync())!["data"]!["id"]!.GetValue<string>() : null;
        await op.GotoAsync(new Uri(cluster.ConsoleUrl, $"/admin/keys/{keyId}").ToString());
        await CheckPageAsync(op, "operator-key");
        await op.Locator("form:has-text('Revoke key') fluent-button").ClickAsync();
        await Expect(op, "[data-testid=key-state]", "revoked");
        var refused = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync("after revocation"));
        Assert.Equal(401, refused.Status);

        // ---- the operator's usage page, and signing out ---------------------------------------------------------------
        await op.GotoAsync(new Uri(cluster.ConsoleUrl, $"/admin/usage?wallet_id={walletId}").ToString());
        // Four relayed and the one refused after revocation (a refused request is logged too, as its log event arrives).
        await EventuallyAsync(op, async () => (await op.InnerTextAsync("[data-stat=requests]")).Trim() == "5", "five requests in the wallet's usage");
        // Error rates by upstream: the four relayed (three to the OpenAI-kind simulated upstream, one to the Anthropic-kind), the
        // one refused before any upstream (revoked).
        var upstreams = await op.InnerTextAsync("[data-table=errors-by-upstream]");
        Assert.Equal(["simulated-openai\t3\t0\t0%", "(refused before an upstream)\t1\t1\t100%", "simulated-anthropic\t1\t0\t0%"],
            upstreams.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1));
        await CheckPageAsync(op, "operator-usage");
        await op.GotoAsync(new Uri(cluster.ConsoleUrl, "/admin/keys").ToString());
        await CheckPageAsync(op, "operator-keys");
        await op.GotoAsync(new Uri(cluster.ConsoleUrl, "/admin/requests").ToString());
        await CheckPageAsync(op, "operator-requests");
        await op.ClickAsync("text=Sign out");
        await op.WaitForURLAsync(u => u.Contains("/signin", StringComparison.Ordinal));
        await op.GotoAsync(new Uri(cluster.ConsoleUrl, "/admin/wallets").ToString());
        Assert.Contains("/signin", op.Url, StringComparison.Ordinal);
        await CheckPageAsync(op, "signin");
    }

    [Fact]
    public async Task A_wrong_credential_is_refused_in_the_apis_words()
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox"] });
        var page = await NewPageAsync(browser);
        await SignInAsync(page, "nrk_" + new string('x', 43));
        await Expect(page, "#credential-error", "API key");
        Assert.Contains("/signin", page.Url, StringComparison.Ordinal);
        await SignInAsync(page, "not-the-admin-token-" + Guid.NewGuid());
        await Expect(page, "#credential-error", "neither an API key nor the admin token");
    }

    private OpenAIClient Sdk(string key) =>
        new(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(cluster.EdgeUrl, "api/v1"), NetworkTimeout = TimeSpan.FromSeconds(60) });

    private static async Task<IPage> NewPageAsync(IBrowser browser)
    {
        var context = await browser.NewContextAsync(new() { ViewportSize = new() { Width = 1400, Height = 1000 }, AcceptDownloads = true });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        // Every change is confirmed in a dialog: the test confirms.
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();
        return page;
    }

    private async Task SignInAsync(IPage page, string credential)
    {
        await page.GotoAsync(new Uri(cluster.ConsoleUrl, "/signin").ToString());
        // By keyboard, as someone without a mouse would: the field, then Enter.
        await page.FocusAsync("#credential");
        await page.Keyboard.TypeAsync(credential);
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
    }

    /// <summary>A screenshot, no axe-core violation, and every link, button and field of the page reached by Tab.</summary>
    private static async Task CheckPageAsync(IPage page, string name)
    {
        await page.WaitForLoadStateAsync(LoadState.Load);
        try
        {
            // Fonts and the Fluent components' scripts settle; on a loaded CI machine "no request for 500 ms" once never
            // came within 30 s after the page had loaded, and what follows needs only the loaded page.
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle, new() { Timeout = 10_000 });
        }
        catch (TimeoutException)
        {
        }
        await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, $"{name}.png"), FullPage = true });
        var axe = await page.RunAxe();
        Assert.True(axe.Violations.Length == 0, $"{name}: axe-core violations: " + string.Join("; ", axe.Violations.Select(v =>
            $"{v.Id} ({v.Help}) at {string.Join(", ", v.Nodes.Take(3).Select(n => n.Target?.ToString()))}")));

        var actions = await page.EvaluateAsync<int>("""
            () => { document.querySelectorAll('[data-kb]').forEach(e => e.removeAttribute('data-kb'));
                    document.querySelectorAll('[data-live]').forEach(e => e.removeAttribute('data-live')); // no refresh mid-walk
                    const all = [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, summary, fluent-button, pre[tabindex]')]
                      .filter(e => e.offsetParent !== null && !e.closest('details:not([open]) > :not(summary)'));
                    all.forEach((e, i) => e.setAttribute('data-kb', i)); return all.length; }
            """);
        await page.EvaluateAsync("() => document.activeElement?.blur()");
        var reached = new HashSet<string>();
        for (var i = 0; i < actions * 2 + 10 && reached.Count < actions; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            var id = await page.EvaluateAsync<string?>("""
                () => { let e = document.activeElement; while (e && !e.hasAttribute?.('data-kb')) e = e.parentElement ?? e.getRootNode()?.host; return e?.getAttribute('data-kb') ?? null; }
                """);
            if (id is not null) reached.Add(id);
        }
        if (reached.Count < actions)
        {
            var missed = await page.EvaluateAsync<string[]>("reached => [...document.querySelectorAll('[data-kb]')].filter(e => !reached.includes(e.getAttribute('data-kb'))).map(e => e.outerHTML.slice(0, 160))",
                reached.ToArray());
            Assert.Fail($"{name}: Tab reached {reached.Count} of {actions} actions; not: {string.Join(" | ", missed)}");
        }
    }

    private static async Task Expect(IPage page, string selector, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            IReadOnlyList<string> found;
            try
            {
                found = await page.Locator(selector).AllInnerTextsAsync();
            }
            catch (PlaywrightException) when (DateTime.UtcNow < deadline)
            {
                // The page was navigating (a form's redirect): look again.
                await Task.Delay(300);
                continue;
            }
            if (found.Any(t => t.Contains(text, StringComparison.Ordinal))) return;
            if (DateTime.UtcNow > deadline)
            {
                await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "failed.png"), FullPage = true });
                Assert.Fail($"'{selector}' never showed '{text}' on {page.Url}; it showed: {string.Join(" | ", found)}\n{await page.InnerTextAsync("body")}");
            }
            await Task.Delay(300);
        }
    }

    /// <summary>Reloads until the condition holds (log events arrive in batches), at most a minute.</summary>
    private static async Task EventuallyAsync(IPage page, Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                await page.ScreenshotAsync(new() { Path = Path.Combine(Artifacts, "failed.png"), FullPage = true });
                Assert.Fail($"the console never showed {what}: {await page.InnerTextAsync("body")}");
            }
            await Task.Delay(1000);
            await page.ReloadAsync(new() { WaitUntil = WaitUntilState.NetworkIdle });
        }
    }

    /// <summary>Another wallet's key and one of its requests (logged), through the APIs.</summary>
    private async Task<(Guid WalletId, Guid KeyId, string RequestId)> OtherKeyAsync()
    {
        using var admin = cluster.Edge();
        admin.DefaultRequestHeaders.Authorization = new("Bearer", cluster.AdminToken);
        using var wallet = await admin.PostAsJsonAsync("/admin/v1/wallets", new { name = "someone else" });
        var walletId = Guid.Parse(JsonNode.Parse(await wallet.Content.ReadAsStringAsync())!["id"]!.GetValue<string>());
        using (var credit = await admin.PostAsJsonAsync($"/admin/v1/wallets/{walletId}/credits", new { amount_usd = 10, reference = "other" }))
            credit.EnsureSuccessStatusCode();
        using var key = await admin.PostAsJsonAsync("/admin/v1/keys", new { wallet_id = walletId, name = "other" });
        var keyNode = JsonNode.Parse(await key.Content.ReadAsStringAsync())!;
        using var edge = cluster.Edge();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "gpt-5.4", max_tokens = 16, messages = new[] { new { role = "user", content = "hi" } } }),
        };
        request.Headers.Authorization = new("Bearer", keyNode["key"]!.GetValue<string>());
        using var response = await edge.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requestId = response.Headers.GetValues("x-request-id").First();
        return (walletId, Guid.Parse(keyNode["id"]!.GetValue<string>()), requestId);
    }

}
