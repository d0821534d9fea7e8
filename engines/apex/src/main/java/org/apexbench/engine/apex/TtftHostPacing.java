package org.apexbench.engine.apex;

/**
 * With TPOT and TTFT objectives, whether a request that host admission's TTFT rule would admit now waits one iteration
 * instead (docs/engines.md#apex, SLO-aware scheduling). The TTFT rule admits to the host whatever the TPOT budgets say
 * because waiting for GPU memory is predicted to miss F; what it needs is a first token within F, and when this
 * iteration already prefills a request admitted in it, admitting one more puts a second prompt into the same
 * iteration: every running request's step grows by a whole prefill (on A10G g5.16xlarge with Llama-3.1-8B, two
 * 1,000-token prompts made about 540 ms steps against 330 ms for one, beside about 100 host decodes at S = 200 ms)
 * for one iteration of TTFT. So it waits while its first token, prefilled from the next iteration, is still predicted
 * within F; the queue behind it waits with it (FCFS) and is tested in turn. At least one prompt is admitted an
 * iteration (the rule needs another admission in the iteration), so the queue always drains.
 */
final class TtftHostPacing {
    private TtftHostPacing() {}

    /**
     * @param admittedThisIteration whether this iteration's placement has already admitted a request (GPU or host)
     * @param waitedSec             how long the request has waited since its arrival (s)
     * @param firstTokenAfterSec    predicted time from now to its first token if it is admitted next iteration (s)
     * @param ttftSlo               the TTFT objective (s)
     */
    static boolean waits(boolean admittedThisIteration, double waitedSec, double firstTokenAfterSec, double ttftSlo) {
        return admittedThisIteration && waitedSec + firstTokenAfterSec <= ttftSlo;
    }
}
