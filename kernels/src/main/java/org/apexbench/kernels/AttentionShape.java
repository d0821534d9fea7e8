package org.apexbench.kernels;

/**
 * Head geometry of attention. Query heads are grouped over KV heads (GQA): query head {@code h} reads
 * KV head {@code h / (heads / kvHeads)}. Scores are scaled by {@code scale} (1/sqrt(headDim) for Llama).
 */
public record AttentionShape(int heads, int kvHeads, int headDim, float scale) {
    public AttentionShape {
        if (heads <= 0 || kvHeads <= 0 || headDim <= 0 || heads % kvHeads != 0) {
            throw new IllegalArgumentException("attention: heads (" + heads + ") must be a positive multiple of kvHeads ("
                    + kvHeads + "), headDim=" + headDim);
        }
    }

    public static AttentionShape of(int heads, int kvHeads, int headDim) {
        return new AttentionShape(heads, kvHeads, headDim, (float) (1.0 / Math.sqrt(headDim)));
    }

    public int groupSize() { return heads / kvHeads; }
    public int qWidth() { return heads * headDim; }
    public int kvWidth() { return kvHeads * headDim; }
}
