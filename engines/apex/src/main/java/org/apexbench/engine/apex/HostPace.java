package org.apexbench.engine.apex;

import org.apexbench.engine.RequestState;

/**
 * With a TPOT objective: the host rows per second that keep every host request on pace for its TPOT deadline
 * (docs/engines.md#apex, SLO-aware scheduling). A request meets TPOT S if its last token comes by first + S x
 * (output - 1); with {@code remaining} tokens to go, it needs remaining / (deadline - now) of them per second from
 * now on, wherever in the iterations they come. The sum over the host requests is what the plans must serve on
 * average: a plan of t seconds with k host rows serves k / t. Requests with no first token or already late are left
 * out: their TPOT slack is negative, so every plan that meets the objective runs them anyway.
 */
final class HostPace {
    private HostPace() {}

    /** Host rows per second request {@code r} needs from {@code now} to meet TPOT {@code slo}; 0 when it must run anyway. */
    static double rowsPerSec(RequestState r, double now, double slo) {
        if (r.generated() < 1) return 0;
        int remaining = r.targetOutput() - r.generated();
        double left = r.tokenTime(0) + slo * Math.max(1, r.targetOutput() - 1) - now;
        return remaining > 0 && left > 0 ? remaining / left : 0;
    }

    /**
     * Whether a plan of {@code t} seconds running {@code cpuRows} host rows keeps the host requests on pace
     * {@code rowsPerSec}: it serves the whole rows of the t x rowsPerSec the pace asks for (a fraction of a row left
     * over raises the requests' pace in a later iteration).
     */
    static boolean keeps(double rowsPerSec, double t, int cpuRows) {
        return cpuRows >= Math.floor(rowsPerSec * t);
    }
}
