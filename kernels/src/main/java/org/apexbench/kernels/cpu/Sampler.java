package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Temperature / top-p sampling with a caller-supplied uniform draw, deterministic:
 * <ol>
 *   <li>p_i = softmax(logits / temperature) (max-subtracted, accumulated in double);</li>
 *   <li>order tokens by p descending, ties by lower index;</li>
 *   <li>keep the shortest prefix whose mass reaches {@code topP} (at least one token);</li>
 *   <li>return the first kept token whose cumulative mass exceeds {@code uniform * keptMass}.</li>
 * </ol>
 * Temperature 0 is greedy (argmax). The sort key packs (probability bits, index) into one long so sorting
 * is primitive; scratch is reused across calls.
 */
final class Sampler {
    private float[] probs = new float[0];
    private long[] order = new long[0];

    synchronized int sample(MemorySegment logits, long rowOff, int vocab, float temperature, float topP, double uniform,
                            boolean vector) {
        if (temperature == 0f) return vector ? Argmax.fast(logits, rowOff, vocab) : Argmax.scalar(logits, rowOff, vocab);
        if (probs.length < vocab) {
            probs = new float[vocab];
            order = new long[vocab];
        }
        float max = logits.get(Elements.F32, rowOff);
        for (int i = 1; i < vocab; i++) max = Math.max(max, logits.get(Elements.F32, rowOff + 4L * i));
        double total = 0;
        for (int i = 0; i < vocab; i++) {
            float p = (float) Math.exp((logits.get(Elements.F32, rowOff + 4L * i) - max) / temperature);
            probs[i] = p;
            total += p;
        }
        for (int i = 0; i < vocab; i++) {
            // non-negative floats order like their bit patterns; invert to sort descending
            order[i] = ((long) (Integer.MAX_VALUE - Float.floatToRawIntBits(probs[i])) << 32) | i;
        }
        Arrays.sort(order, 0, vocab);
        double need = topP * total, kept = 0;
        int keep = 0;
        while (keep < vocab) {
            kept += probs[(int) order[keep]];
            keep++;
            if (kept >= need) break;
        }
        double target = uniform * kept, cumulative = 0;
        for (int j = 0; j < keep; j++) {
            int token = (int) order[j];
            cumulative += probs[token];
            if (cumulative > target) return token;
        }
        return (int) order[keep - 1];
    }
}
