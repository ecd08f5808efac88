namespace NexRelay.ServiceDefaults;

/// <summary>Aspire resource names, shared by the AppHost and the services that look them up.</summary>
public static class ResourceNames
{
    public const string Postgres = "postgres";
    public const string BillingDb = "billingdb";
    public const string KeyPolicyDb = "keypolicydb";
    public const string LoggingDb = "loggingdb";
    public const string Redis = "redis";
    public const string Messaging = "messaging";

    public const string Edge = "edge";
    public const string Billing = "billing";
    public const string KeyPolicy = "keypolicy";
    public const string Logging = "logging";
    public const string SimulatedProvider = "simulated-provider";
    public const string Console = "console";
}
