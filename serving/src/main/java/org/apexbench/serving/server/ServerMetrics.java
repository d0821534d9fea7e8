package org.apexbench.serving.server;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import org.apexbench.engine.runtime.OnlineRequests;
import org.apexbench.profiler.IterationRecord;

/**
 * The server's counters and the engine's state in the Prometheus text exposition format (version 0.0.4), for
 * {@code GET /metrics}. Every series carries {@code model_name}, as vLLM's do. Names and meanings:
 * docs/serving.md#metrics.
 */
final class ServerMetrics {
    private final String model;
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder generationTokens = new LongAdder();
    private final LongAdder cancelled = new LongAdder();
    private final Map<String, LongAdder> finished = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> iterations = new ConcurrentHashMap<>();
    private final Map<Integer, LongAdder> httpErrors = new ConcurrentHashMap<>();

    ServerMetrics(String model) { this.model = model; }

    void admitted(int promptLength) { promptTokens.add(promptLength); }

    void generated() { generationTokens.increment(); }

    void finished(String reason) { finished.computeIfAbsent(reason, k -> new LongAdder()).increment(); }

    void cancelled() { cancelled.increment(); }

    void iteration(IterationRecord it) { iterations.computeIfAbsent(it.strategy(), k -> new LongAdder()).increment(); }

    void httpError(int status) { httpErrors.computeIfAbsent(status, k -> new LongAdder()).increment(); }

    long cancelledCount() { return cancelled.sum(); }

    /** The exposition text: the engine's state now and every counter. */
    String render(OnlineRequests.State s, boolean engineUp) {
        StringBuilder b = new StringBuilder(2048);
        gauge(b, "apex_engine_up", "1 while the engine loop serves, 0 after it failed or stopped.", engineUp ? 1 : 0);
        gauge(b, "apex_requests_running", "Requests holding KV in either pool (prefilling or decoding).", s.running());
        gauge(b, "apex_requests_waiting", "Requests received but not yet admitted (no KV yet, or preempted by recompute).",
                s.waiting());
        header(b, "apex_kv_blocks_used", "KV blocks in use, per pool.", "gauge");
        sample(b, "apex_kv_blocks_used", Map.of("pool", "gpu"), s.gpuBlocksUsed());
        sample(b, "apex_kv_blocks_used", Map.of("pool", "host"), s.hostBlocksUsed());
        header(b, "apex_kv_blocks", "KV blocks per pool (capacity).", "gauge");
        sample(b, "apex_kv_blocks", Map.of("pool", "gpu"), s.gpuBlocks());
        sample(b, "apex_kv_blocks", Map.of("pool", "host"), s.hostBlocks());
        header(b, "apex_kv_usage_ratio", "Fraction of each pool's KV blocks in use (0 for an empty pool).", "gauge");
        sample(b, "apex_kv_usage_ratio", Map.of("pool", "gpu"), ratio(s.gpuBlocksUsed(), s.gpuBlocks()));
        sample(b, "apex_kv_usage_ratio", Map.of("pool", "host"), ratio(s.hostBlocksUsed(), s.hostBlocks()));
        header(b, "apex_iterations_total", "Engine iterations, per dispatch strategy.", "counter");
        new TreeMap<>(iterations).forEach((k, v) -> sample(b, "apex_iterations_total", Map.of("strategy", k), v.sum()));
        counter(b, "apex_prompt_tokens_total", "Prompt tokens of admitted requests.", promptTokens.sum());
        counter(b, "apex_generation_tokens_total", "Output tokens generated.", generationTokens.sum());
        header(b, "apex_requests_finished_total", "Requests that ended normally, per finish reason (length, stop).", "counter");
        new TreeMap<>(finished).forEach((k, v) -> sample(b, "apex_requests_finished_total", Map.of("finish_reason", k), v.sum()));
        counter(b, "apex_requests_cancelled_total", "Requests cancelled before their end (client gone, shutdown), KV freed.",
                cancelled.sum());
        header(b, "apex_http_errors_total", "Error answers, per HTTP status.", "counter");
        new TreeMap<>(httpErrors).forEach((k, v) -> sample(b, "apex_http_errors_total", Map.of("status", k.toString()), v.sum()));
        return b.toString();
    }

    private static double ratio(int used, int capacity) { return capacity == 0 ? 0 : (double) used / capacity; }

    private void gauge(StringBuilder b, String name, String help, double v) {
        header(b, name, help, "gauge");
        sample(b, name, Map.of(), v);
    }

    private void counter(StringBuilder b, String name, String help, double v) {
        header(b, name, help, "counter");
        sample(b, name, Map.of(), v);
    }

    private static void header(StringBuilder b, String name, String help, String type) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private void sample(StringBuilder b, String name, Map<String, String> labels, double v) {
        b.append(name).append("{model_name=\"").append(escape(model)).append('"');
        new TreeMap<>(labels).forEach((k, val) -> b.append(',').append(k).append("=\"").append(escape(val)).append('"'));
        b.append("} ");
        b.append(v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.6g", v));
        b.append('\n');
    }

    /** Label values escape backslash, double quote and newline. */
    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
