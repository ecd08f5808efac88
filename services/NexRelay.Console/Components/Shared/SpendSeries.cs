using System.Globalization;
using NexRelay.Console.Edge;

namespace NexRelay.Console.Components.Shared;

/// <summary>
/// Spend by day and model, laid out for a stacked bar chart: every day of the range present (a day without requests is a
/// zero bar, not a missing one), models ordered by their total spend, the dearest first.
/// </summary>
public sealed class SpendSeries
{
    public IReadOnlyList<DateOnly> Days { get; }
    public IReadOnlyList<string> Models { get; }
    /// <summary>Cost per day (rows, in <see cref="Days"/> order) and model (columns, in <see cref="Models"/> order).</summary>
    public decimal[,] Cost { get; }
    public decimal Max { get; }
    public decimal Total { get; }

    public SpendSeries(IEnumerable<UsageGroup> groups, DateOnly firstDay, DateOnly lastDay)
    {
        if (lastDay < firstDay) throw new ArgumentException("The range ends before it starts.", nameof(lastDay));
        var days = new List<DateOnly>();
        for (var d = firstDay; d <= lastDay; d = d.AddDays(1)) days.Add(d);
        var byCell = new Dictionary<(DateOnly, string), decimal>();
        foreach (var g in groups)
        {
            if (g.Day is null || !DateOnly.TryParse(g.Day.Length > 10 ? g.Day[..10] : g.Day, CultureInfo.InvariantCulture, out var day)) continue;
            if (day < firstDay || day > lastDay) continue;
            var model = g.Model ?? "(none)";
            byCell[(day, model)] = byCell.GetValueOrDefault((day, model)) + g.CostUsd;
        }
        Models = [.. byCell.GroupBy(c => c.Key.Item2).OrderByDescending(m => m.Sum(c => c.Value)).ThenBy(m => m.Key, StringComparer.Ordinal).Select(m => m.Key)];
        Days = days;
        Cost = new decimal[days.Count, Models.Count];
        for (var i = 0; i < days.Count; i++)
        {
            decimal dayTotal = 0;
            for (var j = 0; j < Models.Count; j++)
            {
                Cost[i, j] = byCell.GetValueOrDefault((days[i], Models[j]));
                dayTotal += Cost[i, j];
            }
            Max = Math.Max(Max, dayTotal);
            Total += dayTotal;
        }
    }

    public decimal DayTotal(int day)
    {
        decimal sum = 0;
        for (var j = 0; j < Models.Count; j++) sum += Cost[day, j];
        return sum;
    }

    /// <summary>A round top for the axis: 1, 2 or 5 times a power of ten at or above the largest day.</summary>
    public decimal AxisTop()
    {
        if (Max <= 0) return 1;
        var power = (decimal)Math.Pow(10, Math.Floor(Math.Log10((double)Max)));
        foreach (var step in new[] { 1m, 2m, 5m, 10m })
            if (step * power >= Max) return step * power;
        return 10 * power;
    }
}
