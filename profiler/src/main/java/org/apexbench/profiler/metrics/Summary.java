package org.apexbench.profiler.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The metrics of one run, computed by {@link Metrics#summarize}. {@link #toMap()} gives them under vLLM's
 * benchmark key names where vLLM has one ({@code completed}, {@code request_throughput}, {@code mean_ttft_ms},
 * {@code p99_tpot_ms}, ...), each computed as vLLM computes it, and ours beside them (docs/metrics.md).
 *
 * @param completed         requests that produced all their tokens
 * @param failed            requests that did not (excluded from every latency statistic)
 * @param totalInputTokens  prompt tokens of completed requests
 * @param totalOutputTokens output tokens of completed requests
 * @param durationSec       the benchmark duration on {@code durationClock}, to the last request's return
 * @param durationClock     where the duration starts
 * @param ttft              time to first token
 * @param tpot              per-request (E2E - TTFT) / (n - 1), requests with n &gt; 1 only
 * @param itl               every gap between consecutive tokens of a request, pooled
 * @param e2el              arrival to last token
 * @param slo               goodput objectives ({@link Slo#NONE} when none)
 * @param goodRequests      completed requests meeting the SLO, -1 when no SLO was given
 * @param preemptions       preemptions summed over all requests
 * @param maxOutputTokensPerSec most output tokens of completed requests in one 1-second bucket after the
 *                          earliest completed request's arrival (vLLM's max_output_tokens_per_s)
 * @param maxConcurrentRequests most completed requests in the system at once, over [arrival, last token)
 *                          (vLLM's max_concurrent_requests)
 * @param hybrid            iteration-level metrics; null for an engine measured from outside (a server behind the
 *                          OpenAI API): its keys, and preemptions, are then absent from {@link #toMap()}, not zero
 */
public record Summary(int completed, int failed, long totalInputTokens, long totalOutputTokens, double durationSec,
                      DurationClock durationClock, LatencyStats ttft, LatencyStats tpot, LatencyStats itl,
                      LatencyStats e2el, Slo slo, int goodRequests, long preemptions, double maxOutputTokensPerSec,
                      int maxConcurrentRequests, HybridStats hybrid) {

    public double requestThroughput() { return completed / durationSec; }

    public double outputThroughput() { return totalOutputTokens / durationSec; }

    public double totalTokenThroughput() { return (totalInputTokens + totalOutputTokens) / durationSec; }

    /** Good requests per second, NaN without an SLO. */
    public double requestGoodput() { return goodRequests < 0 ? Double.NaN : goodRequests / durationSec; }

    /**
     * Flat key -> value map, vLLM names first. Numbers, or null where ours are undefined (NaN); a distribution
     * with no values gives vLLM's 0 under vLLM's names ({@code np.mean(values or 0)}), and {@code count_*} 0 and
     * {@code max_*} null under ours. Callers that need a stable order sort the keys (the JSON writer does).
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("completed", completed);
        m.put("failed", failed);
        m.put("total_input_tokens", totalInputTokens);
        m.put("total_output_tokens", totalOutputTokens);
        m.put("duration", num(durationSec));
        m.put("duration_clock", durationClock.text());
        m.put("request_throughput", num(requestThroughput()));
        m.put("output_throughput", num(outputThroughput()));
        m.put("total_token_throughput", num(totalTokenThroughput()));
        m.put("request_goodput", num(requestGoodput()));
        m.put("goodput_requests", goodRequests < 0 ? null : goodRequests);
        m.put("slo_ttft_ms", num(slo.ttftMs()));
        m.put("slo_tpot_ms", num(slo.tpotMs()));
        m.put("slo_e2el_ms", num(slo.e2elMs()));
        putLatency(m, "ttft", ttft);
        putLatency(m, "tpot", tpot);
        putLatency(m, "itl", itl);
        putLatency(m, "e2el", e2el);
        m.put("max_output_tokens_per_s", maxOutputTokensPerSec);
        m.put("max_concurrent_requests", maxConcurrentRequests);
        if (hybrid == null) return m;
        m.put("preemptions", preemptions);
        m.put("iterations", hybrid.iterations());
        m.put("active_time", num(hybrid.activeSec()));
        m.put("gpu_busy_pct", num(hybrid.gpuBusyPct()));
        m.put("cpu_attn_busy_pct", num(hybrid.cpuAttnBusyPct()));
        m.put("gpu_stall_ms", num(hybrid.gpuStallSec() * 1e3));
        m.put("gpu_stall_pct", num(hybrid.gpuStallPct()));
        m.put("pcie_h2d_bytes", hybrid.h2dBytes());
        m.put("pcie_d2h_bytes", hybrid.d2hBytes());
        m.put("pcie_h2d_gbps", num(hybrid.h2dGBps()));
        m.put("pcie_d2h_gbps", num(hybrid.d2hGBps()));
        m.put("swap_in_bytes", hybrid.swapInBytes());
        m.put("swap_out_bytes", hybrid.swapOutBytes());
        m.put("predicted_iterations", hybrid.predictedIterations());
        m.put("predictor_mape_pct", num(hybrid.predictorMapePct()));
        m.put("cpu_decode_fraction", num(hybrid.cpuDecodeFraction()));
        m.put("max_gpu_kv_blocks", hybrid.maxGpuKvBlocks());
        m.put("max_host_kv_blocks", hybrid.maxHostKvBlocks());
        hybrid.strategyMix().forEach((name, fraction) -> m.put("strategy_fraction_" + name, num(fraction)));
        return m;
    }

    private static void putLatency(Map<String, Object> m, String name, LatencyStats s) {
        m.put("mean_" + name + "_ms", vllm(s, s.meanMs()));
        m.put("median_" + name + "_ms", vllm(s, s.medianMs()));
        m.put("std_" + name + "_ms", vllm(s, s.stdMs()));
        m.put("p50_" + name + "_ms", vllm(s, s.p50Ms()));
        m.put("p90_" + name + "_ms", vllm(s, s.p90Ms()));
        m.put("p99_" + name + "_ms", vllm(s, s.p99Ms()));
        m.put("max_" + name + "_ms", num(s.maxMs()));
        m.put("count_" + name, s.count());
    }

    private static Double num(double v) { return Double.isFinite(v) ? v : null; }

    /** A statistic under vLLM's name: vLLM's 0.0 for an empty distribution. */
    private static Double vllm(LatencyStats s, double v) { return s.count() == 0 ? 0.0 : num(v); }
}
