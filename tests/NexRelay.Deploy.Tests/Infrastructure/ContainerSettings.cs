using System.Text.Json.Nodes;
using static NexRelay.Deploy.Tests.Infrastructure.Manifests;

namespace NexRelay.Deploy.Tests.Infrastructure;

internal enum SettingSource { Value, Secret, ConfigMap, Field, ConfigFile }

/// <summary>One configuration setting a container receives: where from, and its value when it is not a secret.</summary>
internal sealed record Setting(string Name, SettingSource Source, string From, string? Value);

/// <summary>
/// Every setting a Deployment's container receives, keyed as .NET configuration sees it (case-insensitive, `__` = `:`):
/// env (values, secretKeyRef, configMapKeyRef, fieldRef), envFrom ConfigMaps, and appsettings.*.json files mounted
/// from ConfigMaps into the content root (/app).
/// </summary>
internal sealed class ContainerSettings
{
    private readonly Dictionary<string, Setting> _settings = new(StringComparer.OrdinalIgnoreCase);

    public ContainerSettings(Manifests manifests, JsonObject deployment)
    {
        var container = MainContainer(deployment);
        var deploymentName = Name(deployment);

        foreach (var mount in Items(container["volumeMounts"]))
        {
            var path = Str(mount["mountPath"]) ?? "";
            if (!path.StartsWith("/app/appsettings.", StringComparison.Ordinal) || !path.EndsWith(".json", StringComparison.Ordinal)) continue;
            var volume = Items(PodSpec(deployment)["volumes"]).Single(v => Str(v["name"]) == Str(mount["name"]));
            var configMapName = Str(volume["configMap"]?["name"])
                ?? throw new Xunit.Sdk.XunitException($"{deploymentName}: {path} is not mounted from a ConfigMap.");
            var key = Str(mount["subPath"]) ?? Path.GetFileName(path);
            var json = Str(manifests.Get("ConfigMap", configMapName)["data"]?[key])
                ?? throw new Xunit.Sdk.XunitException($"{deploymentName}: ConfigMap {configMapName} has no key {key} for {path}.");
            foreach (var (name, value) in FlattenJson(json)) Add(new(name, SettingSource.ConfigFile, $"{configMapName}/{key}", value));
        }

        foreach (var envFrom in Items(container["envFrom"]))
        {
            var configMapName = Str(envFrom["configMapRef"]?["name"])
                ?? throw new Xunit.Sdk.XunitException($"{deploymentName}: only envFrom configMapRef is expected (secrets go through secretKeyRef, key by key).");
            var configMap = manifests.Get("ConfigMap", configMapName);
            foreach (var (name, value) in configMap["data"]?.AsObject() ?? [])
            {
                Add(new(name, SettingSource.ConfigMap, configMapName, Str(value)));
            }
        }

        foreach (var env in Items(container["env"]))
        {
            var name = Str(env["name"])!;
            var from = env["valueFrom"];
            Add(from switch
            {
                null => new(name, SettingSource.Value, "env", Str(env["value"])),
                _ when from["secretKeyRef"] is JsonObject s => new(name, SettingSource.Secret, $"{Str(s["name"])}/{Str(s["key"])}", null),
                _ when from["configMapKeyRef"] is JsonObject c => new(name, SettingSource.ConfigMap, Str(c["name"])!,
                    Str(manifests.Get("ConfigMap", Str(c["name"])!)["data"]?[Str(c["key"])!])),
                _ when from["fieldRef"] is not null => new(name, SettingSource.Field, Str(from["fieldRef"]!["fieldPath"])!, null),
                _ => new(name, SettingSource.Value, "env", null),
            });
        }
    }

    public IReadOnlyCollection<Setting> All => _settings.Values;

    public Setting? Find(string name) => _settings.GetValueOrDefault(Normalize(name));

    /// <summary>Settings whose key begins with <paramref name="prefix"/> (a configuration section).</summary>
    public IEnumerable<Setting> Section(string prefix) =>
        _settings.Where(p => p.Key.StartsWith(Normalize(prefix) + ":", StringComparison.OrdinalIgnoreCase)).Select(p => p.Value);

    public static string Normalize(string name) => name.Replace("__", ":", StringComparison.Ordinal).ToLowerInvariant();

    // Later sources override earlier ones, as in the container: files < envFrom < env.
    private void Add(Setting setting) => _settings[Normalize(setting.Name)] = setting;
}
