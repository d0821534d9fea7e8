package org.apexbench.engine.apex;

import org.apexbench.engine.RequestState;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * With a TPOT objective, whether a waiting request the GPU pool has room for waits an iteration instead of being
 * prefilled now (docs/engines.md#apex, SLO-aware scheduling). Host admission prices its prefill against every running
 * request's TPOT budget ({@link HostAdmission}); a GPU admission's prefill lengthens the same iteration by the same
 * cost, so it is priced the same way: it waits when the iteration with its prefill ({@code with}) would put some
 * running request over its budget ({@link ApexScheduler#tpotBudgetSec}) that the iteration without it
 * ({@code without}) keeps. A request already late either way gains nothing from the wait and does not hold the
 * newcomer. The newcomer waits only while its TTFT objective allows one more iteration: its first token after this
 * iteration and its own prefill iteration must still come within the objective after its arrival (so a newcomer that
 * has already waited the objective never waits). A request that
 * has generated tokens (a recomputed one) is running already and never waits here.
 */
final class GpuAdmissionGate {
    private GpuAdmissionGate() {}

    /**
     * Whether {@link #waits} is false whatever the iteration's predicted times: the newcomer is running already (a
     * recomputed request), has already waited its TTFT objective (one more iteration cannot bring its first token
     * within it), or no running request has a first token (no TPOT budget to keep). The caller then skips the
     * dispatch passes that predict {@code with}, {@code without} and the steady step: the decision is the same.
     */
    static boolean admitsUnpriced(double now, double ttftSlo, List<List<RequestState>> running, RequestState newcomer) {
        if (newcomer.generated() > 0 || ttftSpent(now, ttftSlo, newcomer)) return true;
        for (List<RequestState> l : running) {
            for (RequestState r : l) if (r.generated() >= 1) return false;
        }
        return true;
    }

    /** The newcomer's wait so far has reached its TTFT objective (NaN: none). */
    private static boolean ttftSpent(double now, double ttftSlo, RequestState newcomer) {
        return !Double.isNaN(ttftSlo) && now - newcomer.arrivalSec() >= ttftSlo;
    }

    /**
     * Whether {@link #waits} is false whatever the steady step and the prefills reserved: waiting would put the
     * newcomer's first token past its TTFT objective, or the prefill does not lengthen the iteration ({@code with <=
     * without}: no budget lies in [without, with)). The caller then skips the steady step's pass and the forecast.
     */
    static boolean admitsBeforeBudgets(double now, double with, double without, double ttftSlo, RequestState newcomer) {
        return !Double.isNaN(ttftSlo) && now + without + with - newcomer.arrivalSec() > ttftSlo || !(with > without);
    }

    /**
     * @param now       the decision's time (s)
     * @param with      predicted time of this iteration with the newcomer's prefill (s)
     * @param without   the same without it (s)
     * @param step      the steady decode step the budgets price each later token at (s)
     * @param tpotSlo   the TPOT objective (s)
     * @param ttftSlo   the TTFT objective (s); NaN: none
     * @param running   the running requests, by pool
     * @param newcomer  the request to admit
     * @param reserved  per running request, the prefills predicted inside its window after this iteration
     *                  ({@link PrefillForecast}), which its budget leaves out as host admission's does
     */
    static boolean waits(double now, double with, double without, double step, double tpotSlo, double ttftSlo,
                         List<List<RequestState>> running, RequestState newcomer, ToDoubleFunction<RequestState> reserved) {
        if (newcomer.generated() > 0 || ttftSpent(now, ttftSlo, newcomer)
                || admitsBeforeBudgets(now, with, without, ttftSlo, newcomer)) return false;
        for (List<RequestState> l : running) {
            for (RequestState r : l) {
                if (r.generated() < 1) continue;
                double budget = ApexScheduler.tpotBudgetSec(r, now, tpotSlo, step) - reserved.applyAsDouble(r);
                if (budget < with && budget >= without) return true;
            }
        }
        return false;
    }
}
