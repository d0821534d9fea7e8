package org.apexbench.kernels;

/**
 * Rotary embedding frequencies for one head dimension, already scaled (default or {@code llama3}).
 * {@code invFreq[i]} rotates the pair (x[i], x[i + headDim/2]) (Hugging Face "rotate_half" layout)
 * by angle {@code position * invFreq[i]}.
 */
public record RopeTable(int headDim, float[] invFreq) {
    public RopeTable {
        if (headDim % 2 != 0 || invFreq.length != headDim / 2) {
            throw new IllegalArgumentException("rope: headDim must be even and invFreq.length == headDim/2, got headDim="
                    + headDim + " invFreq.length=" + invFreq.length);
        }
    }
}
