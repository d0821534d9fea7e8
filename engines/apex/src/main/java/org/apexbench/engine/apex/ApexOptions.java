package org.apexbench.engine.apex;

import org.apexbench.engine.EngineOption;
import org.apexbench.engine.EngineOptions;

import java.util.List;

/**
 * APEX knobs.
 *
 * @param tpotSloSec           the TPOT objective (s) APEX schedules to (docs/engines.md#apex, SLO-aware scheduling): plans
 *                             whose predicted TPOT exceeds it lose to any that meet it, and a waiting request is admitted
 *                             to the host pool while the predicted decode step with it still meets it; NaN: none
 * @param starvationIterations a host request not advanced for this many iterations forbids GPU-only
 * @param hostAdmission        admit requests to the host pool when predicted to pay (false: GPU pool only,
 *                             host pool only for swap-out victims)
 * @param pipeline             consider asymmetric pipelining (false: GPU-only and AO only)
 * @param swapInHysteresis     swap host requests in while the GPU pool stays under this share
 * @param margin               how much more rows/second a longer iteration (or one more host request) must
 *                             promise to be chosen; 0 = pure throughput argmax, higher favours latency
 * @param neoPacking           also consider AP with NEO's zero-slack greedy packing of the CPU candidates and
 *                             admit to the host whenever the dispatch would run the newcomer without losing
 *                             rows/second (false: the prefix split only)
 * @param amortizedAdmission   admit to the host when the newcomer's prefill plus decode cost per token is
 *                             no more than the current cost per row (false: one more row must raise this
 *                             iteration's rows/second by the margin, with every host request already used)
 * @param recalibrate          scale the profile's GPU and CPU predictions by measured/predicted busy time of
 *                             recent iterations ({@link org.apexbench.engine.predict.RecalibratingPredictor}; false: trust the profile).
 *                             On by default: measured neutral when the tables are right (paper grid, tuning settings)
 *                             and +13% to +56% throughput when the host is 2x faster or 2-3x slower than profiled
 * @param ttftSloSec           the TTFT objective (s): with no TPOT objective, a waiting request whose predicted queueing
 *                             delay would exceed it is admitted to the host pool; NaN: none
 */
public record ApexOptions(double tpotSloSec, int starvationIterations, boolean hostAdmission, boolean pipeline,
                          double swapInHysteresis, double margin, boolean neoPacking,
                          boolean amortizedAdmission, boolean recalibrate, double ttftSloSec) {
    public static final ApexOptions DEFAULT = new ApexOptions(Double.NaN, 50, true, true, 0.95, Dispatch.MARGIN, true, false, true,
            Double.NaN);

    static final EngineOption TPOT_SLO_MS = EngineOption.number("tpotSloMs", Double.NaN, 0, false, Double.POSITIVE_INFINITY, true,
            "TPOT objective (ms) APEX schedules to (default: the run's --slo-tpot-ms, if any)");
    static final EngineOption TTFT_SLO_MS = EngineOption.number("ttftSloMs", Double.NaN, 0, false, Double.POSITIVE_INFINITY, true,
            "TTFT objective (ms) APEX schedules to (default: the run's --slo-ttft-ms, if any)");
    static final EngineOption STARVATION_ITERATIONS = EngineOption.integer("starvationIterations", DEFAULT.starvationIterations(),
            1, Integer.MAX_VALUE, "a host request not advanced for this many iterations forbids GPU-only");
    static final EngineOption HOST_ADMISSION = EngineOption.flag("hostAdmission", DEFAULT.hostAdmission(),
            "admit requests to the host pool when predicted to pay (false: host pool for swap-out victims only)");
    static final EngineOption PIPELINE = EngineOption.flag("pipeline", DEFAULT.pipeline(),
            "consider asymmetric pipelining (false: GPU-only and async overlap only)");
    static final EngineOption SWAP_IN_HYSTERESIS = EngineOption.number("swapInHysteresis", DEFAULT.swapInHysteresis(), 0, false, 1, true,
            "swap host requests in while the GPU pool stays under this share");
    static final EngineOption MARGIN_PCT = EngineOption.number("marginPct", 100 * DEFAULT.margin(), 0, true, 100, false,
            "how much more rows/s (%) a longer iteration or one more host request must promise to be chosen");
    static final EngineOption NEO_PACKING = EngineOption.flag("neoPacking", DEFAULT.neoPacking(),
            "also consider NEO's zero-slack greedy packing of the CPU candidates (false: the prefix split only)");
    static final EngineOption AMORTIZED_ADMISSION = EngineOption.flag("amortizedAdmission", DEFAULT.amortizedAdmission(),
            "admit to the host when the newcomer's amortized cost per token is no more than the current cost per row");
    static final EngineOption RECALIBRATE = EngineOption.flag("recalibrate", DEFAULT.recalibrate(),
            "scale the profile's predictions by measured/predicted busy time of recent iterations (false: trust the profile)");
    /** What {@code apex} accepts, in the order {@code apex engines} lists them. */
    static final List<EngineOption> OPTIONS = List.of(TPOT_SLO_MS, TTFT_SLO_MS, STARVATION_ITERATIONS, HOST_ADMISSION, PIPELINE,
            SWAP_IN_HYSTERESIS, MARGIN_PCT, NEO_PACKING, AMORTIZED_ADMISSION, RECALIBRATE);

    /** The options {@code o} gives (each absent one at its default); unknown keys and values out of bounds are errors. */
    static ApexOptions from(EngineOptions o) {
        o.requireKnown(ApexEngines.ID, OPTIONS);
        return new ApexOptions(o.number(TPOT_SLO_MS) / 1000, o.integer(STARVATION_ITERATIONS),
                o.flag(HOST_ADMISSION), o.flag(PIPELINE), o.number(SWAP_IN_HYSTERESIS), o.number(MARGIN_PCT) / 100,
                o.flag(NEO_PACKING), o.flag(AMORTIZED_ADMISSION), o.flag(RECALIBRATE), o.number(TTFT_SLO_MS) / 1000);
    }

    /** These options with each SLO they leave unset taken from the run's {@code slo} (its own options win). */
    public ApexOptions withRunSlo(org.apexbench.profiler.metrics.Slo slo) {
        double tpot = Double.isNaN(tpotSloSec) ? slo.tpotMs() / 1000 : tpotSloSec;
        double ttft = Double.isNaN(ttftSloSec) ? slo.ttftMs() / 1000 : ttftSloSec;
        return new ApexOptions(tpot, starvationIterations, hostAdmission, pipeline, swapInHysteresis, margin, neoPacking,
                amortizedAdmission, recalibrate, ttft);
    }

    /** Whether a TPOT objective is set. */
    boolean hasTpotSlo() { return !Double.isNaN(tpotSloSec); }

    /** Whether a TTFT objective is set. */
    boolean hasTtftSlo() { return !Double.isNaN(ttftSloSec); }

    public ApexOptions {
        if (starvationIterations < 1) throw new IllegalArgumentException("starvationIterations must be >= 1, got " + starvationIterations);
        if (!(swapInHysteresis > 0 && swapInHysteresis <= 1)) {
            throw new IllegalArgumentException("swapInHysteresis must be in (0, 1], got " + swapInHysteresis);
        }
        if (!(margin >= 0 && margin < 1)) throw new IllegalArgumentException("margin must be in [0, 1), got " + margin);
        if (!Double.isNaN(tpotSloSec) && !(tpotSloSec > 0 && tpotSloSec < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("TPOT SLO must be > 0 and finite, got " + tpotSloSec);
        }
        if (!Double.isNaN(ttftSloSec) && !(ttftSloSec > 0 && ttftSloSec < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("TTFT SLO must be > 0 and finite, got " + ttftSloSec);
        }
    }
}
