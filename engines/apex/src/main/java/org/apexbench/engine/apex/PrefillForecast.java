package org.apexbench.engine.apex;

import org.apexbench.engine.predict.Predictor;

/**
 * What prefills to come will add to the iterations ahead (docs/engines.md#apex, SLO-aware scheduling): a prompt of L
 * tokens runs in chunks of at most the iteration's token budget less the decode rows, one chunk an iteration, and each
 * chunk lengthens its iteration by the predicted time of its tokens beside the decode step: per layer the linear
 * layers' growth from the decode rows' width to that plus the chunk, and the chunk's attention, plus the embedding
 * and head of its tokens. Host admission uses it twice: as the time a whole prompt (every chunk) adds, and as a
 * reserve per iteration from now, into which the prefills already coming (chunks still to run, the queue's prompts at
 * the iteration {@link GpuQueueForecast} admits them) are put, so that a running request's budget can be charged the
 * prefills inside its own window. Reusable: {@link #reset} per decision, no allocation once the scratch has grown.
 */
final class PrefillForecast {
    private Predictor p;
    private int layers, width, sampled, budget, horizon;
    /** Per iteration from now (index 0 is this one, never reserved): seconds of prefill reserved; prefix-summed on read. */
    private double[] reserve = new double[64];
    private boolean summed;
    /** The decode step's own linear and head time, read by every chunk's price. */
    private double baseLinear, baseHead;

    /**
     * Starts a forecast beside a decode step of {@code width} rows ({@code sampled} of which sample), with
     * {@code tokenBudget} tokens an iteration, reserving iterations 1 .. {@code horizon - 1}.
     */
    PrefillForecast reset(Predictor p, int layers, int width, int sampled, int tokenBudget, int horizon) {
        this.p = p;
        this.layers = layers;
        this.width = width;
        this.sampled = sampled;
        this.budget = Math.max(1, tokenBudget - width);
        this.horizon = Math.max(0, horizon);
        if (reserve.length < this.horizon) reserve = new double[Math.max(this.horizon, 2 * reserve.length)];
        java.util.Arrays.fill(reserve, 0, this.horizon, 0.0);
        summed = false;
        baseLinear = width == 0 ? 0 : p.linear(width);
        baseHead = width == 0 ? 0 : p.embedAndHead(width, sampled);
        return this;
    }

    /** Tokens a chunk may take an iteration. */
    int chunkTokens() { return budget; }

    /** Iterations a prompt of {@code len} tokens takes to prefill. */
    int chunks(int len) { return len <= 0 ? 0 : (len + budget - 1) / budget; }

    /** Predicted seconds a chunk of {@code len} tokens from position {@code start} adds to the decode step. */
    double chunkSec(int start, int len, boolean completes) {
        long pairs = (long) len * start + (long) len * (len + 1) / 2;
        double linear = p.linear(width + len) - baseLinear;
        double head = p.embedAndHead(width + len, sampled + (completes ? 1 : 0)) - baseHead;
        return layers * (linear + p.prefillAttention(len, 1, pairs)) + head;
    }

    /** Predicted seconds the {@code len} tokens from {@code start} add, over every chunk they take. */
    double wholeSec(int start, int len) {
        double t = 0;
        for (int done = 0; done < len; ) {
            int c = Math.min(budget, len - done);
            t += chunkSec(start + done, c, done + c == len);
            done += c;
        }
        return t;
    }

    /** Reserves the chunks of the {@code len} tokens from {@code start}, the first in iteration {@code first} (at least 1). */
    void reserve(int start, int len, long first) {
        if (summed) throw new IllegalStateException("reserve before reading the reserve");
        long at = Math.max(1, first);
        for (int done = 0; done < len && at < horizon; at++) {
            int c = Math.min(budget, len - done);
            reserve[(int) at] += chunkSec(start + done, c, done + c == len);
            done += c;
        }
    }

    /** Seconds of prefill reserved in iterations 1 .. {@code last}. */
    double reservedThrough(int last) {
        if (!summed) {
            for (int i = 1; i < horizon; i++) reserve[i] += reserve[i - 1];
            summed = true;
        }
        return last < 1 ? 0 : reserve[Math.min(last, horizon - 1)];
    }
}
