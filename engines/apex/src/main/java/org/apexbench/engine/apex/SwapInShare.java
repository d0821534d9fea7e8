package org.apexbench.engine.apex;

import org.apexbench.engine.RequestState;
import org.apexbench.engine.SchedulerContext;

import java.util.List;

/**
 * With a TPOT objective: whether a host request goes before the queue for GPU memory this iteration, as the share of
 * the GPU pool under which host requests swap back (docs/engines.md#apex, SLO-aware scheduling). Placement swaps
 * host requests in, oldest first, before it admits waiting requests to the GPU, but only under the swap-in
 * hysteresis (95% of the pool), which keeps a swapped-in request from being swapped out by the next iterations'
 * growth; a waiting request is admitted up to the 1% watermark. So while requests wait, the room a finished request
 * frees goes to the queue and the host requests stay on the host (docs/decisions.md, issue 14, `synth-neo` on the
 * 4-core A10G host). When the oldest host request is predicted to miss the objective if it stays on the host, it may
 * take that room, up to the admission's own limit, before the queue. The prediction is the pace at which host
 * requests progressed on the host lately: each decision with host requests gives each of them run / candidates of a
 * token in its predicted time, and the pace is the ratio of those two, each exponentially decayed as the mean
 * iteration is; a request whose remaining tokens at that pace end after its deadline (first token + S x (output - 1))
 * misses.
 */
final class SwapInShare {
    /** Decayed share of the host requests run per decision, and decayed plan time, over decisions with host requests. */
    private double runShare, iterationSec;
    private boolean seen;

    /** One decision's host rows: {@code run} of {@code candidates} host requests advanced in a plan of {@code sec}. */
    void observe(int candidates, int run, double sec) {
        if (candidates == 0 || !(sec > 0)) return;
        double share = (double) run / candidates;
        double d = ApexScheduler.ITERATION_DECAY;
        runShare = seen ? d * runShare + (1 - d) * share : share;
        iterationSec = seen ? d * iterationSec + (1 - d) * sec : sec;
        seen = true;
    }

    /**
     * Whether host request {@code r}, progressing on the host at the recent pace, gets its last token after its deadline
     * under TPOT objective {@code slo}; false before any decision with host requests.
     */
    boolean missesOnHost(RequestState r, double now, double slo) {
        if (!seen || r.generated() < 1) return false;
        double deadline = r.tokenTime(0) + slo * Math.max(1, r.targetOutput() - 1);
        int remaining = r.targetOutput() - r.generated();
        return runShare <= 0 || now + remaining * iterationSec / runShare > deadline;
    }

    /**
     * The share of the GPU pool under which host requests swap back this iteration: {@code hysteresis}, or, with a TPOT
     * objective {@code slo} (NaN: none), requests waiting and the oldest host request (the one Placement swaps in
     * first; it stops at one mid-prefill) predicted to miss it on the host, the admission's limit 1 - {@code watermark}.
     */
    double of(SchedulerContext ctx, double slo, double hysteresis, double watermark) {
        // before any decision with host requests none misses (missesOnHost): no need to find the oldest
        if (Double.isNaN(slo) || !seen || ctx.waiting().isEmpty()) return hysteresis;
        // by position, each index read once: this walks every host request each decision (JFR on ApexDecisionBench with
        // SLOs, 512 host requests: the iterator over the unmodifiable list and the rereads of the oldest's index were
        // 12% of the decision)
        List<RequestState> host = ctx.hostRunning();
        RequestState oldest = null;
        int first = Integer.MAX_VALUE;
        for (int i = 0, n = host.size(); i < n; i++) {
            RequestState h = host.get(i);
            int index = h.index();
            if (index < first) {
                first = index;
                oldest = h;
            }
        }
        if (oldest == null || !oldest.decoding() || !missesOnHost(oldest, ctx.nowSec(), slo)) return hysteresis;
        return Math.max(hysteresis, 1 - watermark);
    }
}
