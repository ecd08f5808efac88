namespace NexRelay.Edge.Docs;

/// <summary>
/// The admin API as the edge forwards it: these routes are mapped by key-policy, billing and logging, not by the edge, so
/// each area is attached to the edge route that forwards it (<see cref="ApiDocConventions.WithForwardedApiDocs"/>) and the
/// admin document is built from that metadata. Paths are the owning services' (see docs/architecture.md).
/// </summary>
internal static class AdminApiDocs
{
    private static readonly int[] Write = [400, 401, 404, 409];
    private static readonly int[] Read = [401, 404];

    private static ApiDoc Doc(string id, string summary, string description, string? request, string response, params int[] errors) =>
        new(id, summary, description, request, response) { Errors = ErrorEnvelope.Problem, ErrorStatuses = errors };

    /// <summary>Owned by key-policy.</summary>
    public static readonly ForwardedApiDocs Keys = new("Keys",
    [
        new("POST", "/admin/v1/keys", Doc("createKey", "Create a key",
            "Creates a key on a wallet. The secret is in the response's key field, once: it is not stored.", "KeyCreate", "Key", 400, 401) with { SuccessStatus = 201 }),
        new("GET", "/admin/v1/keys", Doc("listKeys", "List keys",
            "Keys newest first, keyset-paged: of every wallet or one, found by id, hint or name, by state. A wallet's keys fit the default page of 100.",
            null, "KeyList", 400, 401)
            with
            {
                Query =
                [
                    new("wallet_id", "Only this wallet's keys (UUID)."),
                    new("q", "A key id (exact), a key's hint as logs show it (nrk_…4f2a), or part of its name (any case)."),
                    new("status", "Only keys in this state.", Enum: ["active", "disabled", "revoked"]),
                    new("limit", "Keys per page, 1 to 1000 (default 100).", "integer"),
                    PublicApiDocs.NextCursor,
                ],
            }),
        new("GET", "/admin/v1/keys/{id}", Doc("getAdminKey", "Get a key", "One key, without its secret.", null, "Key", Read)),
        new("PATCH", "/admin/v1/keys/{id}", Doc("updateKey", "Update a key's policy",
            "Changes name, policy fields or disabled: every edge applies the change within a second, or the call answers 503 and nothing changed.",
            "KeyPatch", "Key", [.. Write, 503])),
        new("DELETE", "/admin/v1/keys/{id}", Doc("revokeKey", "Revoke a key",
            "Revokes the key for good: every edge refuses it within a second, or the call answers 503 and nothing changed.", null, "Key", [.. Read, 503])),
        new("POST", "/admin/v1/keys/{id}/rotate", Doc("rotateKey", "Rotate a key's secret",
            "Issues a new secret (in the key field, once); every edge refuses the old one within a second, or the call answers 503 and nothing changed.",
            null, "Key", 401, 404, 409, 503)),
    ]);

    /// <summary>Owned by billing.</summary>
    public static readonly ForwardedApiDocs Wallets = new("Wallets",
    [
        new("POST", "/admin/v1/wallets", Doc("createWallet", "Create a wallet", "Creates an empty wallet.", "WalletCreate", "Wallet", 400, 401) with { SuccessStatus = 201 }),
        new("GET", "/admin/v1/wallets", Doc("listWallets", "List wallets",
            "Wallets newest first, keyset-paged; q finds one by id or by part of its name.", null, "WalletPage", 400, 401)
            with
            {
                Query =
                [
                    new("q", "A wallet id (exact), or part of its name (any case)."),
                    new("limit", "Wallets per page, 1 to 500 (default 50).", "integer"),
                    PublicApiDocs.NextCursor,
                ],
            }),
        new("GET", "/admin/v1/wallets/{id}", Doc("getWallet", "Get a wallet", "Balance, reserved and available USD.", null, "Wallet", Read)),
        new("POST", "/admin/v1/wallets/{id}/credits", Doc("addCredit", "Add credit",
            "Adds credit; the reference makes it idempotent (a repeat answers 200 with the first entry).", "CreditCreate", "LedgerEntry", 400, 401, 404)
            with { SuccessStatus = 201 }),
        new("GET", "/admin/v1/wallets/{id}/ledger", Doc("getLedger", "A wallet's ledger", "Ledger entries, newest first, paged.", null, "LedgerPage", 400, 401, 404)
            with { Query = PublicApiDocs.LogPaging }),
        new("PUT", "/admin/v1/wallets/{id}/notifications/settings", Doc("putWalletNotificationSettings", "Set a wallet's balance and budget notifications",
            "As PUT /api/v1/notifications/settings for the wallet: the signing secret in the answer that created them, only.",
            "NotificationSettingsRequest", "NotificationSettings", 400, 401, 404)),
        new("GET", "/admin/v1/wallets/{id}/notifications/settings", Doc("getWalletNotificationSettings", "A wallet's notification settings",
            "Webhook and threshold, without the signing secret.", null, "NotificationSettings", Read)),
        new("DELETE", "/admin/v1/wallets/{id}/notifications/settings", Doc("deleteWalletNotificationSettings", "Remove a wallet's notification settings",
            "Removes webhook, threshold and secret; answers the removed settings.", null, "NotificationSettings", Read)),
        new("GET", "/admin/v1/wallets/{id}/notifications", Doc("listWalletNotifications", "A wallet's notification deliveries",
            "Events newest first, paged, each with every attempt.", null, "NotificationPage", 400, 401)
            with { Query = PublicApiDocs.NotificationPaging }),
    ]);

    /// <summary>Owned by billing. The codes appear once, in the mint answer; billing keeps only their HMAC.</summary>
    public static readonly ForwardedApiDocs RedemptionCodes = new("Redemption codes",
    [
        new("POST", "/admin/v1/redemption-codes", Doc("mintRedemptionCodes", "Mint a batch of redemption codes",
            "Mints count codes worth amount_usd each, valid until expires_at. The codes are in this answer only: they are stored as HMACs.",
            "RedemptionMint", "RedemptionMinted", 400, 401) with { SuccessStatus = 201 }),
        new("GET", "/admin/v1/redemption-codes", Doc("listRedemptionBatches", "List redemption batches",
            "Batches newest first, with how many codes are redeemed, unredeemed and voided; never the codes.", null, "RedemptionBatchPage", 400, 401)
            with { Query = PublicApiDocs.LogPaging }),
        new("GET", "/admin/v1/redemption-codes/{batch_id}", Doc("getRedemptionBatch", "Get a redemption batch",
            "One batch and its counts.", null, "RedemptionBatch", Read)),
        new("POST", "/admin/v1/redemption-codes/{batch_id}/void", Doc("voidRedemptionBatch", "Void a batch",
            "Its unused codes can no longer be redeemed; credits already made stand.", null, "RedemptionBatch", Read)),
        new("POST", "/admin/v1/redemption-codes/void", Doc("voidRedemptionCode", "Void one code",
            "Voids one unused code; 409 when it was redeemed already (its credit stands).", "RedemptionCodeVoid", "RedemptionCodeVoided", 400, 401, 404, 409)),
    ]);

    /// <summary>Owned by logging.</summary>
    public static readonly ForwardedApiDocs Logs = new("Logs",
    [
        new("GET", "/admin/v1/logs", Doc("listAdminLogs", "Request logs", "Request logs of any key or wallet, newest first. Accept: text/csv exports CSV.",
            null, "LogPage", 400, 401)
            with { Csv = true, Query = [new("wallet_id", "Only this wallet's rows."), new("key_id", "Only this key's rows."), .. PublicApiDocs.LogFilters, .. PublicApiDocs.LogPaging] }),
        new("GET", "/admin/v1/logs/{request_id}", Doc("getAdminLog", "One request log", "One request log by request id.", null, "LogEntry", Read)),
        new("GET", "/admin/v1/usage", Doc("getAdminUsage", "Usage",
            "Requests, tokens and cost, grouped by one or more of day, model, key, status and upstream (group_by=day,model: a day-by-model series; group_by=upstream,status: error rates by upstream).",
            null, "UsageReport", 400, 401)
            with { Query = [new("wallet_id", "Only this wallet."), new("key_id", "Only this key."), .. PublicApiDocs.LogFilters, PublicApiDocs.GroupBy()] }),
    ]);

    // Each service keeps the dead letters of its own queue: events it could not settle or store for a reason retrying
    // will not fix (the rest of their batch went through).

    /// <summary>Owned by billing.</summary>
    public static readonly ForwardedApiDocs SettlementDeadLetters = DeadLetters("settlements", "settlement events (billing)", "Settlement");

    /// <summary>Owned by logging.</summary>
    public static readonly ForwardedApiDocs LogDeadLetters = DeadLetters("logs", "request-log events (logging)", "Log");

    public static IReadOnlyList<ForwardedApiDocs> All { get; } = [Keys, Wallets, RedemptionCodes, Logs, SettlementDeadLetters, LogDeadLetters];

    private static ForwardedApiDocs DeadLetters(string queue, string events, string name)
    {
        var path = "/admin/v1/dead-letters/" + queue;
        var lower = name.ToLowerInvariant();
        return new("Dead letters",
        [
            new("GET", path, Doc($"list{name}DeadLetters", $"{name} dead letters",
                $"The {events} that could not be processed, newest first, paged, each with its reason and the event as it came.", null, "DeadLetterPage", 400, 401)
                with { Query = PublicApiDocs.LogPaging }),
            new("GET", path + "/{dead_letter_id}", Doc($"get{name}DeadLetter", $"One {lower} dead letter", "One dead letter by id.", null, "DeadLetter", Read)),
            new("POST", path + "/{dead_letter_id}/requeue", Doc($"requeue{name}DeadLetter", $"Re-queue a {lower} dead letter",
                "Sends the event back to the service's queue (after its cause is fixed) and removes it from the list; processing is idempotent by request id, so a settlement is captured once however often it is re-queued. One that fails again is dead-lettered anew.",
                null, "DeadLetterRequeue", 401, 404, 503) with { SuccessStatus = 202 }),
            new("POST", path + "/requeue", Doc($"requeueAll{name}DeadLetters", $"Re-queue every {lower} dead letter",
                "As re-queueing one, for every dead letter listed when the call starts.", null, "DeadLetterRequeue", 401, 503) with { SuccessStatus = 202 }),
            new("DELETE", path + "/{dead_letter_id}", Doc($"discard{name}DeadLetter", $"Discard a {lower} dead letter",
                "Drops a dead letter that can never be processed; answers with what was dropped.", null, "DeadLetter", Read)),
        ]);
    }
}
