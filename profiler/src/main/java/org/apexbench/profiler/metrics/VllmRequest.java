package org.apexbench.profiler.metrics;

import org.apexbench.profiler.RequestRecord;

/**
 * One request as vLLM's benchmark client records it (its {@code RequestFuncOutput}), derived from our record:
 * the per-request data vLLM computes every metric from and keeps in its result file. Times are seconds.
 *
 * @param id         our request id
 * @param success    produced every token it asked for (ours: no failure reason and all target tokens)
 * @param promptLen  prompt tokens
 * @param outputLen  output tokens counted for the run: all of them for a success, 0 for a failure (vLLM's
 *                   {@code actual_output_lens})
 * @param startTime  when the request was sent: our arrival time
 * @param ttft       first token - start; 0 when no token came
 * @param itl        gaps between consecutive deliveries of tokens, in order (what the request produced, also when it
 *                   failed): tokens that share a time came in one message (a server's stream chunk), and vLLM's client
 *                   times messages, not tokens; our engines deliver each token at its own time
 * @param latency    last token - start for a success; 0 for a failure (vLLM sets it only on success)
 * @param returnTime when the client got the request back: its last token, or its arrival if it produced none
 * @param error      our failure reason, "" for a success (vLLM's default)
 */
public record VllmRequest(String id, boolean success, int promptLen, int outputLen, double startTime, double ttft,
                          double[] itl, double latency, double returnTime, String error) {

    /** Converts a record, rejecting token times that precede the arrival or each other (naming the request). */
    public static VllmRequest of(RequestRecord r) {
        double[] times = r.tokenTimesSec();
        double start = r.arrivalSec();
        if (times.length > 0 && times[0] < start) {
            throw new IllegalArgumentException("request " + r.id() + ": first token at " + times[0]
                    + " s precedes its arrival at " + start + " s");
        }
        double[] gaps = new double[Math.max(0, times.length - 1)];
        int deliveries = 0;
        for (int k = 1; k < times.length; k++) {
            double gap = times[k] - times[k - 1];
            if (gap < 0) {
                throw new IllegalArgumentException("request " + r.id() + ": token " + k + " at " + times[k]
                        + " s precedes token " + (k - 1) + " at " + times[k - 1] + " s");
            }
            if (gap > 0) gaps[deliveries++] = gap;
        }
        double[] itl = deliveries == gaps.length ? gaps : java.util.Arrays.copyOf(gaps, deliveries);
        boolean success = r.succeeded() && times.length > 0;
        double last = times.length > 0 ? times[times.length - 1] : start;
        String error = r.failureReason() != null ? r.failureReason()
                : success ? "" : "produced " + times.length + " of " + r.targetOutputTokens() + " tokens";
        return new VllmRequest(r.id(), success, r.promptTokens(), success ? times.length : 0, start,
                times.length > 0 ? times[0] - start : 0.0, itl, success ? last - start : 0.0, last, error);
    }

    /** Per-request TPOT, (latency - ttft) / (n - 1); 0 for one-token outputs, as vLLM counts them for goodput. */
    public double tpot() {
        return outputLen > 1 ? (latency - ttft) / (outputLen - 1) : 0.0;
    }
}
