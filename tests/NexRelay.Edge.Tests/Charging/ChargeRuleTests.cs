using NexRelay.Contracts.Money;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Charging;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Tests.Charging;

/// <summary>The one charging rule, case by case (billing README, "Charging rules").</summary>
public sealed class ChargeRuleTests
{
    // $1 / $0.10 / $2 per million tokens.
    private static readonly ModelPrices Prices = new(1_000_000, 100_000, 2_000_000);

    private static ChargeFacts Facts(bool handedOver = true, bool refused = false, bool complete = false, Usage? reported = null,
        long relayed = 0, long hidden = 0, long tokenizerInput = 1_000, int maxOutput = 100, long held = 1_000_000) => new()
        {
            HandedOver = handedOver,
            Refused = refused,
            Complete = complete,
            Reported = reported,
            RelayedOutputTokens = relayed,
            HiddenReasoningTokens = hidden,
            CountInput = () => tokenizerInput,
            MaxOutputTokens = maxOutput,
            Prices = Prices,
            HeldMicros = held,
        };

    [Fact]
    public void A_request_no_upstream_was_handed_is_free()
    {
        var charge = ChargeRule.Apply(Facts(handedOver: false, relayed: 50, reported: new Usage { InputTokens = 10, OutputTokens = 5 }));
        Assert.Same(Charge.Free, charge);
    }

    [Fact]
    public void A_request_the_upstream_refused_is_free()
    {
        Assert.Same(Charge.Free, ChargeRule.Apply(Facts(refused: true, reported: new Usage { InputTokens = 900 })));
    }

    [Fact]
    public void A_finished_request_is_charged_its_reported_usage_exactly()
    {
        var charge = ChargeRule.Apply(Facts(complete: true, reported: new Usage { InputTokens = 1_000, CachedInputTokens = 400, OutputTokens = 50 }, relayed: 99));
        Assert.False(charge.Estimated);
        Assert.False(charge.Clamped);
        Assert.Equal(50, charge.Usage.OutputTokens);
        // 600 × $1/M + 400 × $0.10/M + 50 × $2/M = 600 + 40 + 100 micro-USD
        Assert.Equal(740, charge.CostMicros);
    }

    [Fact]
    public void A_finished_request_without_usage_is_estimated_from_the_tokenizer_and_what_was_relayed()
    {
        var charge = ChargeRule.Apply(Facts(complete: true, relayed: 30, tokenizerInput: 700));
        Assert.True(charge.Estimated);
        Assert.Equal(700, charge.Usage.InputTokens);
        Assert.Equal(30, charge.Usage.OutputTokens);
        Assert.Equal(700 + 60, charge.CostMicros);
    }

    [Fact]
    public void A_request_abandoned_before_any_usage_is_charged_its_input_from_the_tokenizer()
    {
        var charge = ChargeRule.Apply(Facts(tokenizerInput: 2_000));
        Assert.True(charge.Estimated);
        Assert.Equal(2_000, charge.Usage.InputTokens);
        Assert.Equal(0, charge.Usage.OutputTokens);
        Assert.Equal(2_000, charge.CostMicros);
    }

    [Fact]
    public void Input_the_upstream_already_reported_wins_over_the_tokenizer()
    {
        // Anthropic's message_start: input and cache figures arrive before any text.
        var charge = ChargeRule.Apply(Facts(reported: new Usage { InputTokens = 5_000, CachedInputTokens = 1_000, OutputTokens = 1 }, tokenizerInput: 10));
        Assert.True(charge.Estimated);
        Assert.Equal(5_000, charge.Usage.InputTokens);
        Assert.Equal(1_000, charge.Usage.CachedInputTokens);
        Assert.Equal(1, charge.Usage.OutputTokens);
        Assert.Equal(4_000 + 100 + 2, charge.CostMicros);
    }

    [Fact]
    public void A_reported_input_of_zero_is_not_trusted()
    {
        var charge = ChargeRule.Apply(Facts(reported: new Usage { InputTokens = 0, OutputTokens = 3 }, tokenizerInput: 321));
        Assert.Equal(321, charge.Usage.InputTokens);
    }

    [Theory]
    [InlineData(10, 0, 25, 25)]   // more relayed than reported (OpenAI reports only at the end)
    [InlineData(40, 0, 25, 40)]   // a running count ahead of the text relayed (Gemini's chunks)
    [InlineData(0, 30, 5, 35)]    // hidden reasoning before the text
    [InlineData(0, 500, 5, 100)]  // never more than the output allowed (not flagged: the estimate is ours)
    public void Output_is_the_larger_of_the_reported_count_and_what_was_relayed_plus_hidden_reasoning(long reportedOutput, long hidden, long relayed, long expected)
    {
        var charge = ChargeRule.Apply(Facts(reported: new Usage { InputTokens = 100, OutputTokens = reportedOutput }, relayed: relayed, hidden: hidden));
        Assert.Equal(expected, charge.Usage.OutputTokens);
        Assert.False(charge.Clamped);
        Assert.True(charge.Estimated);
    }

    [Fact]
    public void Hidden_reasoning_is_recorded_as_reasoning_tokens()
    {
        var charge = ChargeRule.Apply(Facts(hidden: 40, relayed: 2));
        Assert.Equal(42, charge.Usage.OutputTokens);
        Assert.Equal(40, charge.Usage.ReasoningTokens);
    }

    public static TheoryData<Usage, long, long, long> ImpossibleUsage() => new()
    {
        // reported, expected input, cached, output
        { new Usage { InputTokens = 100, OutputTokens = 5_000 }, 100, 0, 100 },        // more output than was allowed
        { new Usage { InputTokens = -50, OutputTokens = 3 }, 0, 0, 3 },                // negative input
        { new Usage { InputTokens = 100, OutputTokens = -3 }, 100, 0, 0 },             // negative output
        { new Usage { InputTokens = 100, CachedInputTokens = 500, OutputTokens = 3 }, 100, 100, 3 }, // more cached than input
        { new Usage { InputTokens = 100, CachedInputTokens = -5, OutputTokens = 3 }, 100, 0, 3 },
        { new Usage { InputTokens = 100, OutputTokens = 3, ReasoningTokens = -1 }, 100, 0, 3 },
    };

    [Theory]
    [MemberData(nameof(ImpossibleUsage))]
    public void Impossible_final_usage_is_clamped_and_flagged(Usage reported, long input, long cached, long output)
    {
        var charge = ChargeRule.Apply(Facts(complete: true, reported: reported));
        Assert.True(charge.Clamped);
        Assert.False(charge.Estimated);
        Assert.Equal(input, charge.Usage.InputTokens);
        Assert.Equal(cached, charge.Usage.CachedInputTokens);
        Assert.Equal(output, charge.Usage.OutputTokens);
        Assert.InRange(charge.CostMicros, 0, 1_000_000);
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MaxValue - 1)]
    [InlineData(9_223_372_036_854_775_000)]
    [InlineData(1_000_000_000_000)]
    public void Absurd_usage_never_costs_more_than_the_hold_nor_wraps_below_it(long inputTokens)
    {
        var charge = ChargeRule.Apply(Facts(complete: true, reported: new Usage { InputTokens = inputTokens, OutputTokens = 10 }, held: 5_000));
        Assert.Equal(5_000, charge.CostMicros);
        Assert.True(charge.Clamped);
    }

    [Fact]
    public void A_cost_above_the_hold_is_cut_to_the_hold_and_flagged()
    {
        var charge = ChargeRule.Apply(Facts(complete: true, reported: new Usage { InputTokens = 10_000, OutputTokens = 10 }, held: 500));
        Assert.Equal(500, charge.CostMicros);
        Assert.True(charge.Clamped);
    }

    /// <summary>Claude's rates: $3 input, $0.30 cache read, $3.75 five-minute and $6 one-hour cache writes, $15 output (per million).</summary>
    private static readonly ModelPrices Claude = new(3_000_000, 300_000, 15_000_000) { CacheWriteMicrosPerM = 3_750_000, CacheWrite1hMicrosPerM = 6_000_000 };

    [Fact]
    public void Cache_reads_and_both_kinds_of_cache_write_are_each_charged_at_their_own_price()
    {
        // 5 plain, 100 read, 2,000 written for five minutes and 10,000 for an hour (a Claude Code session's first turn), 3 out.
        var usage = new Usage { InputTokens = 12_105, CachedInputTokens = 100, CacheWriteTokens = 12_000, CacheWrite1hTokens = 10_000, OutputTokens = 3 };
        var charge = ChargeRule.Apply(Facts(complete: true, reported: usage) with { Prices = Claude });
        Assert.Equal(15 + 30 + 7_500 + 60_000 + 45, charge.CostMicros);
        Assert.False(charge.Clamped);

        // A catalog without write prices charges writes as plain input (what it did before it knew them).
        var plain = ChargeRule.Apply(Facts(complete: true, reported: usage) with { Prices = new ModelPrices(3_000_000, 300_000, 15_000_000) });
        Assert.Equal(15 + 30 + 36_000 + 45, plain.CostMicros);

        // The hold reserves every input token at the dearest of them.
        Assert.Equal(6_000_000, Claude.WorstInputMicrosPerM);
        Assert.Equal(3_000_000, new ModelPrices(3_000_000, 300_000, 15_000_000).WorstInputMicrosPerM);
    }

    [Theory]
    [InlineData(100, 0, 200, 0)]    // more written than the input holds
    [InlineData(100, 80, 50, 0)]    // reads and writes together more than the input
    [InlineData(100, 0, -5, 0)]     // negative writes
    [InlineData(100, 0, 10, 20)]    // more one-hour writes than writes
    public void Impossible_cache_figures_are_clamped_and_flagged(long input, long cached, long written, long written1h)
    {
        var charge = ChargeRule.Apply(Facts(complete: true, reported: new Usage
        {
            InputTokens = input, CachedInputTokens = cached, CacheWriteTokens = written, CacheWrite1hTokens = written1h, OutputTokens = 1,
        }) with { Prices = Claude });
        Assert.True(charge.Clamped);
        var u = charge.Usage;
        Assert.InRange(u.CacheWriteTokens, 0, u.InputTokens - u.CachedInputTokens);
        Assert.InRange(u.CacheWrite1hTokens, 0, u.CacheWriteTokens);
    }

    [Fact]
    public void A_free_model_costs_nothing_whatever_it_did()
    {
        var charge = ChargeRule.Apply(Facts(complete: true, reported: new Usage { InputTokens = 10_000, OutputTokens = 10 }, held: 0) with
        {
            Prices = new ModelPrices(0, 0, 0),
        });
        Assert.Equal(0, charge.CostMicros);
        Assert.False(charge.Clamped);
    }
}

public sealed class MicrosTests
{
    [Theory]
    [InlineData(0, 0)]
    [InlineData(-5, 0)]
    [InlineData(1, 1)]
    [InlineData(999_999, 1)]
    [InlineData(1_000_000, 1)]
    [InlineData(1_000_001, 2)]
    public void Picos_round_up_to_whole_micros(long picos, long micros) => Assert.Equal(micros, Micros.CeilFromPicos(picos));

    [Fact]
    public void A_sum_beyond_long_saturates_instead_of_wrapping()
    {
        var absurd = Micros.Picos(long.MaxValue, 1_000_000_000) + Micros.Picos(long.MaxValue, 1_000_000_000);
        Assert.Equal(long.MaxValue, Micros.CeilFromPicos(absurd));
        Assert.Equal(long.MaxValue, UsagePrice.Of(new Usage { InputTokens = long.MaxValue, OutputTokens = long.MaxValue },
            new ModelPrices(1_000_000_000, 0, 1_000_000_000), long.MaxValue, out _));
        Assert.Equal(long.MaxValue, Micros.CeilFromPicos(Int128.MaxValue));
        Assert.Equal(long.MaxValue, Micros.CeilFromPicos((Int128)long.MaxValue * 1_000_000));
        Assert.Equal(long.MaxValue - 1, Micros.CeilFromPicos((Int128)(long.MaxValue - 1) * 1_000_000));
    }
}
