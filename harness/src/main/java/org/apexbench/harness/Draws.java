package org.apexbench.harness;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.metrics.Metrics;
import org.apexbench.profiler.metrics.Slo;
import org.apexbench.profiler.metrics.Summary;

/**
 * One probed rate of the capacity matrix judged over K independent draws of the workload (seeds seed .. seed + K - 1),
 * docs/capacity.md, Repeated draws. A p99 over the few hundred requests of one Poisson draw is not monotone in the
 * rate; over more requests its noise shrinks. {@link Rule#POOLED} judges the p99s over the K draws' requests pooled, as
 * one run K times as long would be read; {@link Rule#MAJORITY} judges each draw on its own and passes when more than
 * half of them meet the SLOs. With K = 1 both are the single run's own verdict.
 *
 * @param pooled the metrics over every draw's requests together (with K = 1 the run's own summary); its concurrency
 *               and duration are not meaningful across draws (each draw starts at 0): {@link #peakConcurrent()} is
 * @param each   each draw's own summary, in seed order
 */
record Draws(Summary pooled, List<Summary> each) {
    Draws {
        if (each.isEmpty()) throw new IllegalArgumentException("no draw");
        each = List.copyOf(each);
    }

    /** How the K draws make one pass/fail (the same for every engine). */
    enum Rule {
        /** p99 TTFT and p99 TPOT over the K draws' requests pooled, and every request of every draw completed. */
        POOLED,
        /** More than half of the draws meet the SLOs on their own. */
        MAJORITY;

        String text() { return name().toLowerCase(Locale.ROOT); }

        /** The rule named {@code text}, as --draw-rule takes it. */
        static Rule parse(String text) {
            for (Rule r : values()) if (r.text().equals(text.strip())) return r;
            throw new IllegalArgumentException("--draw-rule: expected pooled or majority, got '" + text + "'");
        }

        boolean meets(Draws d, double ttftMs, double tpotMs) {
            return switch (this) {
                case POOLED -> SweepCommand.meets(d.pooled(), 0, ttftMs, tpotMs);
                case MAJORITY -> 2 * d.met(ttftMs, tpotMs) > d.each().size();
            };
        }
    }

    /** One draw's run: its summary is the metrics of its requests (nothing is pooled). */
    static Draws single(Summary s) { return new Draws(s, List.of(s)); }

    /**
     * The draws' runs, {@code records.get(k)} the requests of the run whose summary is {@code summaries.get(k)}: the
     * pooled metrics are computed over all their requests by the same estimators as one run's (docs/metrics.md).
     */
    static Draws pool(List<Summary> summaries, List<List<RequestRecord>> records) {
        if (summaries.size() != records.size()) throw new IllegalArgumentException(summaries.size() + " summaries, "
                + records.size() + " record lists");
        if (summaries.size() == 1) return single(summaries.getFirst());
        List<RequestRecord> all = new ArrayList<>();
        for (List<RequestRecord> r : records) all.addAll(r);
        return new Draws(Metrics.summarize(all, null, Slo.NONE), summaries);
    }

    /** How many draws meet the SLOs on their own. */
    int met(double ttftMs, double tpotMs) {
        int n = 0;
        for (Summary s : each) if (SweepCommand.meets(s, 0, ttftMs, tpotMs)) n++;
        return n;
    }

    /** The most requests in the system at once in any one draw. */
    int peakConcurrent() {
        int m = 0;
        for (Summary s : each) m = Math.max(m, s.maxConcurrentRequests());
        return m;
    }

    int size() { return each.size(); }
}
