package org.apexbench.model;

import org.apexbench.kernels.RopeTable;

/**
 * Rotary position embedding parameters of a Llama checkpoint: the base {@code theta} and, for
 * {@link RopeType#LLAMA3}, the frequency-dependent scaling of Llama 3.1.
 *
 * @param originalMaxPositions {@code original_max_position_embeddings} of the llama3 scaling (0 for default)
 */
public record RopeConfig(RopeType type, double theta, double factor, double lowFreqFactor, double highFreqFactor,
                         int originalMaxPositions) {

    public RopeConfig {
        if (!(theta > 0)) {
            throw new IllegalArgumentException("rope: theta must be > 0, got " + theta);
        }
        if (type == RopeType.LLAMA3 && !(factor > 0 && lowFreqFactor > 0 && highFreqFactor > lowFreqFactor
                && originalMaxPositions > 0)) {
            throw new IllegalArgumentException("rope: llama3 scaling needs factor > 0, 0 < low_freq_factor < high_freq_factor"
                    + " and original_max_position_embeddings > 0, got factor=" + factor + " low_freq_factor=" + lowFreqFactor
                    + " high_freq_factor=" + highFreqFactor + " original_max_position_embeddings=" + originalMaxPositions);
        }
    }

    public static RopeConfig plain(double theta) {
        return new RopeConfig(RopeType.DEFAULT, theta, 1, 0, 0, 0);
    }

    public static RopeConfig llama3(double theta, double factor, double lowFreqFactor, double highFreqFactor,
                                    int originalMaxPositions) {
        return new RopeConfig(RopeType.LLAMA3, theta, factor, lowFreqFactor, highFreqFactor, originalMaxPositions);
    }

    /**
     * Inverse frequencies for one head of {@code headDim}, as Hugging Face computes them
     * ({@code transformers.modeling_rope_utils}, default and llama3 rope types):
     * <pre>
     *   inv_freq[i] = 1 / theta^(2i / headDim)                      i = 0 .. headDim/2 - 1
     *   llama3 only, with L = original_max_position_embeddings:
     *     wavelen          = 2*pi / inv_freq[i]
     *     low_freq_wavelen = L / low_freq_factor     (longer wavelengths: low frequencies)
     *     high_freq_wavelen= L / high_freq_factor    (shorter wavelengths: high frequencies)
     *     wavelen &lt; high_freq_wavelen             -> inv_freq[i]                (kept)
     *     wavelen &gt; low_freq_wavelen              -> inv_freq[i] / factor       (scaled)
     *     otherwise (medium frequencies), with s = (L / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor):
     *                                             -> (1 - s) * inv_freq[i] / factor + s * inv_freq[i]
     * </pre>
     * Hugging Face evaluates {@code theta^(2i/headDim)} in float32; we evaluate in double and round
     * once, which differs by at most one float ulp (an angle error below 1e-5 rad at position 1000).
     */
    public float[] inverseFrequencies(int headDim) {
        if (headDim <= 0 || headDim % 2 != 0) {
            throw new IllegalArgumentException("rope: head_dim must be positive and even, got " + headDim);
        }
        float[] invFreq = new float[headDim / 2];
        for (int i = 0; i < invFreq.length; i++) {
            double base = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
            invFreq[i] = (float) (type == RopeType.LLAMA3 ? llama3Scaled(base) : base);
        }
        return invFreq;
    }

    private double llama3Scaled(double invFreq) {
        double wavelen = 2 * Math.PI / invFreq;
        double lowFreqWavelen = originalMaxPositions / lowFreqFactor;
        double highFreqWavelen = originalMaxPositions / highFreqFactor;
        if (wavelen < highFreqWavelen) {
            return invFreq;
        }
        if (wavelen > lowFreqWavelen) {
            return invFreq / factor;
        }
        double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        return (1 - smooth) * invFreq / factor + smooth * invFreq;
    }

    public RopeTable table(int headDim) {
        return new RopeTable(headDim, inverseFrequencies(headDim));
    }
}
