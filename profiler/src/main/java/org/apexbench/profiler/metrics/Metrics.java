package org.apexbench.profiler.metrics;

import java.util.List;
import java.util.TreeMap;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.RequestRecord;

/**
 * The one place run metrics are computed, with vLLM's benchmark definitions ({@code calculate_metrics}):
 * <ul>
 *   <li>TTFT = first token time - arrival; E2EL = last token time - arrival;</li>
 *   <li>TPOT per request = (E2EL - TTFT) / (n - 1), only for n &gt; 1 (one-token outputs are excluded from
 *       the TPOT distribution; for goodput they count as TPOT 0, as vLLM does);</li>
 *   <li>ITL = every gap between consecutive tokens of a request, pooled over requests;</li>
 *   <li>duration = first arrival (any request) to last completion (any completed request);</li>
 *   <li>failed requests (a failure reason, or fewer tokens than asked) count in {@code failed} and nowhere else.</li>
 * </ul>
 */
public final class Metrics {
    private Metrics() {}

    public static Summary summarize(List<RequestRecord> requests, List<IterationRecord> iterations, Slo slo) {
        int n = requests.size();
        double[] ttft = new double[n];
        double[] tpot = new double[n];
        double[] e2el = new double[n];
        int totalGaps = 0;
        for (RequestRecord r : requests) {
            if (r.succeeded()) totalGaps += Math.max(0, r.outputTokens() - 1);
        }
        double[] itl = new double[totalGaps];
        int completed = 0, tpotCount = 0, itlCount = 0, good = 0;
        long inputTokens = 0, outputTokens = 0, preemptions = 0;
        double firstArrival = Double.POSITIVE_INFINITY, lastCompletion = Double.NEGATIVE_INFINITY;
        for (RequestRecord r : requests) {
            firstArrival = Math.min(firstArrival, r.arrivalSec());
            preemptions += r.preemptions();
            if (!r.succeeded() || r.outputTokens() == 0) continue;
            double[] times = r.tokenTimesSec();
            double first = times[0], last = times[times.length - 1];
            if (first < r.arrivalSec()) {
                throw new IllegalArgumentException("request " + r.id() + ": first token at " + first
                        + " s precedes its arrival at " + r.arrivalSec() + " s");
            }
            double t = first - r.arrivalSec();
            double e = last - r.arrivalSec();
            ttft[completed] = t;
            e2el[completed] = e;
            double requestTpot = 0;
            if (times.length > 1) {
                requestTpot = (e - t) / (times.length - 1);
                tpot[tpotCount++] = requestTpot;
                for (int k = 1; k < times.length; k++) {
                    double gap = times[k] - times[k - 1];
                    if (gap < 0) {
                        throw new IllegalArgumentException("request " + r.id() + ": token " + k + " at " + times[k]
                                + " s precedes token " + (k - 1) + " at " + times[k - 1] + " s");
                    }
                    itl[itlCount++] = gap;
                }
            }
            if (slo.any() && slo.met(t * 1e3, requestTpot * 1e3, e * 1e3)) good++;
            completed++;
            inputTokens += r.promptTokens();
            outputTokens += times.length;
            lastCompletion = Math.max(lastCompletion, last);
        }
        double duration = completed == 0 ? Double.NaN : lastCompletion - firstArrival;
        return new Summary(completed, n - completed, inputTokens, outputTokens, duration,
                LatencyStats.ofSeconds(ttft, completed), LatencyStats.ofSeconds(tpot, tpotCount),
                LatencyStats.ofSeconds(itl, itlCount), LatencyStats.ofSeconds(e2el, completed), slo,
                slo.any() ? good : -1, preemptions, maxTokensPerSecond(requests, firstArrival),
                maxConcurrent(requests), hybrid(iterations));
    }

    /** Output tokens of completed requests per 1-second bucket from the first arrival; the fullest bucket. */
    static long maxTokensPerSecond(List<RequestRecord> requests, double start) {
        java.util.HashMap<Long, Long> buckets = new java.util.HashMap<>();
        long max = 0;
        for (RequestRecord r : requests) {
            if (!r.succeeded()) continue;
            for (double t : r.tokenTimesSec()) {
                max = Math.max(max, buckets.merge((long) Math.floor(t - start), 1L, Long::sum));
            }
        }
        return max;
    }

    /** Sweep line over the half-open intervals [arrival, last token) of completed requests. */
    static int maxConcurrent(List<RequestRecord> requests) {
        List<double[]> events = new java.util.ArrayList<>();
        for (RequestRecord r : requests) {
            if (!r.succeeded() || r.outputTokens() == 0) continue;
            double[] t = r.tokenTimesSec();
            events.add(new double[] {r.arrivalSec(), 1});
            events.add(new double[] {t[t.length - 1], -1});
        }
        // Ends sort before starts at the same instant: the intervals are half-open.
        events.sort((a, b) -> a[0] != b[0] ? Double.compare(a[0], b[0]) : Double.compare(a[1], b[1]));
        int now = 0, max = 0;
        for (double[] e : events) {
            now += (int) e[1];
            max = Math.max(max, now);
        }
        return max;
    }

    /** Iteration-level metrics; see {@link HybridStats} for each definition. */
    public static HybridStats hybrid(List<IterationRecord> iterations) {
        double active = 0, gpuBusy = 0, cpuBusy = 0, stall = 0, apeSum = 0;
        long h2d = 0, d2h = 0, swapIn = 0, swapOut = 0, predicted = 0, cpuRows = 0, allRows = 0;
        int maxGpu = 0, maxHost = 0;
        TreeMap<String, Double> mix = new TreeMap<>();
        for (IterationRecord it : iterations) {
            double d = it.durationSec();
            active += d;
            gpuBusy += it.gpuBusySec();
            cpuBusy += it.cpuBusySec();
            stall += it.gpuStallSec();
            h2d += it.h2dBytes();
            d2h += it.d2hBytes();
            swapIn += it.swapInBytes();
            swapOut += it.swapOutBytes();
            cpuRows += it.cpuDecodes();
            allRows += it.cpuDecodes() + it.gpuDecodes();
            maxGpu = Math.max(maxGpu, it.gpuKvBlocksUsed());
            maxHost = Math.max(maxHost, it.hostKvBlocksUsed());
            mix.merge(it.strategy(), 1.0, Double::sum);
            if (Double.isFinite(it.predictedSec()) && d > 0) {
                predicted++;
                apeSum += Math.abs(it.predictedSec() - d) / d;
            }
        }
        long count = iterations.size();
        mix.replaceAll((k, v) -> v / count);
        double pct = active > 0 ? 100 / active : Double.NaN;
        return new HybridStats(count, active, gpuBusy * pct, cpuBusy * pct, stall, stall * pct, h2d, d2h,
                active > 0 ? h2d / active / 1e9 : Double.NaN, active > 0 ? d2h / active / 1e9 : Double.NaN,
                swapIn, swapOut, mix, predicted, predicted > 0 ? 100 * apeSum / predicted : Double.NaN,
                allRows > 0 ? (double) cpuRows / allRows : Double.NaN, maxGpu, maxHost);
    }
}
