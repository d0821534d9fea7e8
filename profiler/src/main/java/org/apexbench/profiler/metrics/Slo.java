package org.apexbench.profiler.metrics;

/**
 * Service-level objectives for goodput (DistServe's definition, as vLLM's {@code --goodput}): a request is
 * good when it meets every objective that is set. NaN means "not set".
 *
 * @param ttftMs time to first token limit
 * @param tpotMs time per output token limit (a one-token request counts as TPOT 0, as vLLM does)
 * @param e2elMs end-to-end latency limit
 */
public record Slo(double ttftMs, double tpotMs, double e2elMs) {
    public static final Slo NONE = new Slo(Double.NaN, Double.NaN, Double.NaN);

    public Slo {
        check("ttft", ttftMs);
        check("tpot", tpotMs);
        check("e2el", e2elMs);
    }

    private static void check(String name, double v) {
        if (!Double.isNaN(v) && !(v > 0 && v < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("SLO " + name + " must be a finite number of milliseconds > 0, got " + v);
        }
    }

    public boolean any() { return !Double.isNaN(ttftMs) || !Double.isNaN(tpotMs) || !Double.isNaN(e2elMs); }

    /**
     * Whether a request with these latencies (seconds) meets every set objective, compared as vLLM does: the
     * objective in milliseconds divided by 1000 must be &gt;= the value.
     */
    public boolean met(double ttftSec, double tpotSec, double e2elSec) {
        return (Double.isNaN(ttftMs) || ttftMs / 1000 >= ttftSec) && (Double.isNaN(tpotMs) || tpotMs / 1000 >= tpotSec)
                && (Double.isNaN(e2elMs) || e2elMs / 1000 >= e2elSec);
    }
}
