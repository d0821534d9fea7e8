package org.apexbench.engine.apex;

/**
 * APEX knobs.
 *
 * @param tpotSloSec           when finite, iterations predicted slower than this lose to any that meet it
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
 */
public record ApexOptions(double tpotSloSec, int starvationIterations, boolean hostAdmission, boolean pipeline,
                          double swapInHysteresis, double margin, boolean neoPacking,
                          boolean amortizedAdmission, boolean recalibrate) {
    public static final ApexOptions DEFAULT = new ApexOptions(Double.NaN, 50, true, true, 0.95, Dispatch.MARGIN, true, false, true);

    public ApexOptions {
        if (starvationIterations < 1) throw new IllegalArgumentException("starvationIterations must be >= 1, got " + starvationIterations);
        if (!(swapInHysteresis > 0 && swapInHysteresis <= 1)) {
            throw new IllegalArgumentException("swapInHysteresis must be in (0, 1], got " + swapInHysteresis);
        }
        if (!(margin >= 0 && margin < 1)) throw new IllegalArgumentException("margin must be in [0, 1), got " + margin);
        if (!Double.isNaN(tpotSloSec) && !(tpotSloSec > 0)) throw new IllegalArgumentException("TPOT SLO must be > 0, got " + tpotSloSec);
    }
}
