using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using NexRelay.Contracts.Keys;
using NexRelay.ServiceDefaults.Internal;

namespace NexRelay.Edge.Keys;

internal static class EdgeKeysExtensions
{
    /// <summary>
    /// Key resolution, its caches, the failed-auth limit, the cap on unknown-key lookups, the rate limiter and the <c>keypolicy</c>
    /// HTTP client (base address <c>http://keypolicy</c>, resolved by service discovery). Needs an <c>IConnectionMultiplexer</c> (<c>AddRedisClient("redis")</c>) registered too.
    /// </summary>
    public static IHostApplicationBuilder AddEdgeKeys(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<EdgeKeyOptions>()
            .BindConfiguration(EdgeKeyOptions.Section)
            .PostConfigure<IConfiguration>((o, config) => o.HashSecret = config[EdgeKeyOptions.HashSecretSetting] ?? "")
            .Validate(o => o.HashSecret is { Length: >= KeyHash.MinSecretLength },
                $"Setting {EdgeKeyOptions.HashSecretSetting} (env NexRelay__KeyHashSecret) must be at least {KeyHash.MinSecretLength} characters and equal key-policy's.")
            .Validate(o => o.CacheTtl > TimeSpan.Zero, $"Setting {EdgeKeyOptions.Section}:CacheTtl must be positive.")
            .Validate(o => o.NegativeCacheTtl > TimeSpan.Zero, $"Setting {EdgeKeyOptions.Section}:NegativeCacheTtl must be positive.")
            .Validate(o => o.CacheSizeLimit > 0, $"Setting {EdgeKeyOptions.Section}:CacheSizeLimit must be positive.")
            .Validate(o => o.NegativeCacheSizeLimit > 0, $"Setting {EdgeKeyOptions.Section}:NegativeCacheSizeLimit must be positive.")
            .Validate(o => o.KnownKeyRetention >= o.CacheTtl, $"Setting {EdgeKeyOptions.Section}:KnownKeyRetention must be at least CacheTtl.")
            .Validate(o => o.VersionRetention > TimeSpan.Zero,
                $"Setting {EdgeKeyOptions.Section}:VersionRetention must be positive (and at least key-policy's NexRelay:KeySnapshotTtl plus a minute).")
            .Validate(o => o.VersionCapacity > 0, $"Setting {EdgeKeyOptions.Section}:VersionCapacity must be positive.")
            .Validate(o => o.RedisTimeout > TimeSpan.Zero, $"Setting {EdgeKeyOptions.Section}:RedisTimeout must be positive.")
            .ValidateOnStart();
        builder.Services.AddOptions<FailedAuthOptions>().BindConfiguration(FailedAuthOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<KeyLookupOptions>().BindConfiguration(KeyLookupOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<KeyVersions>();
        builder.Services.AddSingleton<FailedAuthLimiter>();
        builder.Services.AddSingleton<UnknownKeyLookups>();
        builder.Services.AddSingleton<KeyMetrics>();
        builder.Services.AddSingleton<KeyResolver>();
        builder.Services.AddSingleton<RateLimiter>();
        builder.Services.AddInternalAuth();
        builder.Services.AddHttpClient(KeyResolver.HttpClientName, c => c.BaseAddress = new Uri("http://keypolicy")).AddInternalToken();
        return builder;
    }

    /// <summary>Registers <see cref="KeyChangedConsumer"/> on a per-replica temporary endpoint: call inside <c>AddNexRelayMessaging</c>.</summary>
    public static IBusRegistrationConfigurator ConfigureEdgeKeyConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<KeyChangedConsumer, KeyChangedConsumerDefinition>();
        bus.AddReceiveEndpointObserver<KeyCacheResetObserver>();
        return bus;
    }
}
