package org.apexbench.engine.apex;

import org.apexbench.engine.RequestState;

/**
 * A host request's TPOT slack with its remaining iterations priced at the run's mean step T̄ only as far ahead as T̄
 * predicts, and at the objective S beyond (docs/engines.md#slo-aware-scheduling, docs/decisions.md).
 *
 * <p>T̄ is a decayed mean of the last plans' predicted times (0.95 per iteration: an average over about
 * {@link #HORIZON} = 1 / (1 - 0.95) = 20 iterations). Pricing every remaining token at it, as the plain slack does,
 * lets a long request spend at once the savings (S - T̄) of hundreds of iterations that have not run yet: on T4 `cot`
 * at 100 ms the long host requests so waited early and were late when an arrival cluster came later in their life,
 * where T̄ no longer held. Beyond T̄'s own window the scheduler bounds a step only by S (every plan it chooses is
 * predicted within S when one is), so that is the price it can stand behind there. A request may then wait on the time
 * it has banked against S and on the next {@link #HORIZON} iterations' predicted savings, not on the savings of its
 * whole remaining life; a request with fewer remaining iterations is priced as before. Never more slack than the plain
 * rule: beyond the horizon the price is max(T̄, S).
 */
final class HorizonSlack {
    private HorizonSlack() {}

    /** Iterations T̄ averages over: 1 / (1 - {@link ApexScheduler#ITERATION_DECAY}). */
    static final int HORIZON = (int) Math.round(1 / (1 - ApexScheduler.ITERATION_DECAY));

    /**
     * How long host request {@code r} can still wait, beyond this iteration, and meet TPOT {@code slo}: its last token
     * is due by first + slo x (output - 1); waiting this iteration, it comes after remaining + 1 iterations, the first
     * {@link #HORIZON} of them priced at {@code iterationSec}, the rest at max(iterationSec, slo). Negative: it must run.
     * A request with no token yet has no slack.
     */
    static double slackSec(RequestState r, double now, double slo, double iterationSec) {
        if (r.generated() < 1) return -1;
        int remaining = r.targetOutput() - r.generated();
        double deadline = r.tokenTime(0) + slo * Math.max(1, r.targetOutput() - 1);
        int steps = remaining + 1;
        int near = Math.min(steps, HORIZON);
        return deadline - now - iterationSec * near - Math.max(iterationSec, slo) * (steps - near);
    }
}
