using System.Globalization;
using Npgsql;

namespace NexRelay.Logging.Logs;

/// <summary>What usage can be grouped by (<c>group_by</c>): each is a column of the rollups and of the request logs alike.</summary>
public enum UsageDimension { Day, Model, Key, Status, Upstream }

/// <summary>Everything a dimension means, in one place: its name in the query, its field in the answer, its SQL and its value.</summary>
public static class UsageDimensions
{
    /// <summary>The names <c>group_by</c> takes, in <see cref="UsageDimension"/> order.</summary>
    public static readonly string[] Names = ["day", "model", "key", "status", "upstream"];

    public static bool TryParse(string name, out UsageDimension dimension)
    {
        var index = Array.IndexOf(Names, name);
        dimension = (UsageDimension)Math.Max(index, 0);
        return index >= 0;
    }

    /// <summary>The group's field that holds the dimension's value (a key by its id, the upstream by its provider, named as in a log row).</summary>
    public static string Field(this UsageDimension dimension) => dimension switch
    {
        UsageDimension.Key => "key_id",
        UsageDimension.Upstream => "upstream_provider",
        _ => Names[(int)dimension],
    };

    /// <summary>The value in a rollup row (usage_daily, usage_daily_all, usage_pending): a rollup row's day is its requests' UTC day.</summary>
    public static string RollupSql(this UsageDimension dimension) => dimension switch
    {
        UsageDimension.Day => "day",
        UsageDimension.Model => "model",
        UsageDimension.Key => "key_id",
        UsageDimension.Upstream => "upstream_provider",
        _ => "status",
    };

    /// <summary>The same value in a request_logs row.</summary>
    public static string RawSql(this UsageDimension dimension) =>
        dimension == UsageDimension.Day ? "(created_at AT TIME ZONE 'UTC')::date" : dimension.RollupSql();

    /// <summary>The value as the answer shows it: a day as yyyy-MM-dd, a key id as a UUID, a status as a number.</summary>
    public static object? Read(this UsageDimension dimension, NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal)) return null;
        return dimension switch
        {
            UsageDimension.Day => reader.GetFieldValue<DateOnly>(ordinal).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            UsageDimension.Key => reader.GetGuid(ordinal),
            UsageDimension.Status => reader.GetInt32(ordinal),
            _ => reader.GetString(ordinal),
        };
    }

    /// <summary>The value as text, for <c>group</c> (one dimension only), spelled as it always was.</summary>
    public static string? AsGroup(object? value) => value switch
    {
        null => null,
        int status => status.ToString(CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
