package org.apexbench.profiler.metrics;

import java.util.List;
import java.util.TreeMap;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.RequestRecord;

/**
 * The one place run metrics are computed, with the definitions of vLLM's benchmark ({@code calculate_metrics} in
 * {@code vllm bench serve}) applied to each request as vLLM's client would have recorded it ({@link VllmRequest}):
 * <ul>
 *   <li>TTFT = first token - arrival; E2EL = last token - arrival; both over completed requests;</li>
 *   <li>TPOT per request = (E2EL - TTFT) / (n - 1), only for n &gt; 1 (one-token outputs are excluded from
 *       the TPOT distribution; for goodput they count as TPOT 0, as vLLM does);</li>
 *   <li>ITL = every gap between consecutive token deliveries of a completed request (tokens that share a time came in
 *       one message, as vLLM's client times them), pooled in request order;</li>
 *   <li>statistics: numpy's mean, population std, median and linear-interpolation percentiles
 *       ({@link LatencyStats});</li>
 *   <li>duration: see {@link DurationClock};</li>
 *   <li>failed requests (a failure reason, or fewer tokens than asked) count in {@code failed} and in the
 *       duration's end, nowhere else.</li>
 * </ul>
 * Every definition, key by key: docs/metrics.md.
 */
public final class Metrics {
    private Metrics() {}

    /** Metrics with the default duration clock ({@link DurationClock#FIRST_ARRIVAL}). */
    public static Summary summarize(List<RequestRecord> requests, List<IterationRecord> iterations, Slo slo) {
        return summarize(requests, iterations, slo, DurationClock.FIRST_ARRIVAL);
    }

    /**
     * @param iterations the engine's iteration records, or null for an engine measured from outside (a server behind
     *                   the OpenAI API), whose iteration-level metrics are then absent ({@link Summary#hybrid()} null)
     */
    public static Summary summarize(List<RequestRecord> requests, List<IterationRecord> iterations, Slo slo,
                                    DurationClock clock) {
        List<VllmRequest> outputs = requests.stream().map(VllmRequest::of).toList();
        int n = outputs.size();
        double[] ttft = new double[n];
        double[] tpot = new double[n];
        double[] e2el = new double[n];
        int totalGaps = 0;
        for (VllmRequest r : outputs) {
            if (r.success()) totalGaps += r.itl().length;
        }
        double[] itl = new double[totalGaps];
        int completed = 0, tpotCount = 0, itlCount = 0, good = 0;
        long inputTokens = 0, outputTokens = 0, preemptions = 0;
        for (RequestRecord r : requests) preemptions += r.preemptions();
        for (VllmRequest r : outputs) {
            if (!r.success()) continue;
            if (r.outputLen() > 1) tpot[tpotCount++] = r.tpot();
            System.arraycopy(r.itl(), 0, itl, itlCount, r.itl().length);
            itlCount += r.itl().length;
            ttft[completed] = r.ttft();
            e2el[completed] = r.latency();
            if (slo.any() && slo.met(r.ttft(), r.tpot(), r.latency())) good++;
            completed++;
            inputTokens += r.promptLen();
            outputTokens += r.outputLen();
        }
        return new Summary(completed, n - completed, inputTokens, outputTokens, duration(outputs, clock), clock,
                LatencyStats.ofSeconds(ttft, completed), LatencyStats.ofSeconds(tpot, tpotCount),
                LatencyStats.ofSeconds(itl, itlCount), LatencyStats.ofSeconds(e2el, completed), slo,
                slo.any() ? good : -1, preemptions, maxOutputTokensPerSecond(outputs),
                maxConcurrentRequests(outputs), iterations == null ? null : hybrid(iterations));
    }

    /** From the clock's start to the last request's return; NaN without requests. */
    static double duration(List<VllmRequest> outputs, DurationClock clock) {
        if (outputs.isEmpty()) return Double.NaN;
        double firstArrival = Double.POSITIVE_INFINITY, lastReturn = Double.NEGATIVE_INFINITY;
        for (VllmRequest r : outputs) {
            firstArrival = Math.min(firstArrival, r.startTime());
            lastReturn = Math.max(lastReturn, r.returnTime());
        }
        return lastReturn - (clock == DurationClock.SCHEDULE_ORIGIN ? 0 : firstArrival);
    }

    /**
     * vLLM's {@code max_output_tokens_per_s}: each completed request's token times rebuilt as start + TTFT +
     * the running sum of its ITLs, binned into whole seconds after the earliest completed request's start
     * (Python's {@code int()}, which truncates toward zero), over {@code ceil(last end - earliest start) + 1}
     * buckets; the fullest bucket, as a float. 0 without completed requests.
     */
    static double maxOutputTokensPerSecond(List<VllmRequest> outputs) {
        double minStart = Double.POSITIVE_INFINITY, maxEnd = Double.NEGATIVE_INFINITY;
        long tokens = 0;
        for (VllmRequest r : outputs) {
            if (!r.success()) continue;
            minStart = Math.min(minStart, r.startTime());
            maxEnd = Math.max(maxEnd, r.startTime() + r.latency());
            tokens += 1 + r.itl().length;
        }
        if (tokens == 0) return 0.0;
        long buckets = (long) Math.ceil(maxEnd - minStart) + 1;
        long[] bucketOfToken = new long[Math.toIntExact(tokens)];
        int k = 0;
        for (VllmRequest r : outputs) {
            if (!r.success()) continue;
            double t = r.startTime() + r.ttft();
            bucketOfToken[k++] = (long) (t - minStart);
            for (double gap : r.itl()) {
                t += gap;
                bucketOfToken[k++] = (long) (t - minStart);
            }
        }
        java.util.Arrays.sort(bucketOfToken);
        long max = 0;
        for (int i = 0; i < k; ) {
            int j = i;
            while (j < k && bucketOfToken[j] == bucketOfToken[i]) j++;
            if (bucketOfToken[i] >= 0 && bucketOfToken[i] < buckets) max = Math.max(max, j - i);
            i = j;
        }
        return max;
    }

    /**
     * vLLM's {@code max_concurrent_requests}: a sweep line over the half-open intervals [start, start + latency)
     * of completed requests, ends before starts at the same instant.
     */
    static int maxConcurrentRequests(List<VllmRequest> outputs) {
        List<double[]> events = new java.util.ArrayList<>();
        for (VllmRequest r : outputs) {
            if (!r.success()) continue;
            events.add(new double[] {r.startTime(), 1});
            events.add(new double[] {r.startTime() + r.latency(), -1});
        }
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
