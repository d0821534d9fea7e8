package org.apexbench.profiler.cost;

import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.model.ModelGeometry;

/**
 * Subtask times from first principles: each GPU op takes
 * {@code max(flops / (peak * computeEff), bytes / (bandwidth * bandwidthEff)) + kernels * launch};
 * CPU decode attention streams the KV of its requests at the host's effective bandwidth
 * ({@link HardwareSpec.Host#attentionBandwidthBytesPerSec()}) plus a call and per-request overhead;
 * copies take {@code transfers * latency + bytes / linkBandwidth}.
 *
 * <p>Bytes counted: weights of the op, activations in and out (in the KV dtype), KV read or written.
 * A real GPU is slower than this at awkward shapes (tile quantisation, wave tails): the model is a
 * smooth lower envelope, which is what the efficiency factors calibrate against.
 */
public final class RooflineCostModel implements CostModel {
    /** Kernels per op on the GPU timeline (fused ops as in docs/architecture.md#the-model). */
    static final int PRE_KERNELS = 4;       // rmsnorm, qkv gemm, rope, kv append
    static final int POST_KERNELS = 6;      // o gemm(+residual), rmsnorm, gate/up gemm, silu*up, down gemm(+residual)
    static final int DECODE_ATTN_KERNELS = 2; // split-KV attention + combine
    static final int PREFILL_ATTN_KERNELS = 1;
    static final int LM_HEAD_KERNELS = 3;   // final norm, lm head gemm, sampling
    static final int EMBED_KERNELS = 1;

    private final HardwareSpec hw;
    private final ModelGeometry model;
    private final Jitter jitter;

    public RooflineCostModel(HardwareSpec hw, ModelGeometry model, Jitter jitter) {
        this.hw = java.util.Objects.requireNonNull(hw, "hardware");
        this.model = java.util.Objects.requireNonNull(model, "model");
        this.jitter = java.util.Objects.requireNonNull(jitter, "jitter");
    }

    public RooflineCostModel(HardwareSpec hw, ModelGeometry model) { this(hw, model, Jitter.NONE); }

    public HardwareSpec hardware() { return hw; }

    public ModelGeometry model() { return model; }

    @Override
    public Jitter jitter() { return jitter; }

    @Override
    public String describe() {
        return "roofline(" + hw.id() + ", " + model.name() + (jitter.sigma() > 0 ? ", jitter sigma " + jitter.sigma() : "") + ")";
    }

    @Override
    public double seconds(Op op, SubtaskFeatures f) {
        return switch (op) {
            case EMBED -> f.rows() == 0 ? 0 : gpu(0, 2.0 * f.rows() * model.hidden() * model.weightBytesPerElement(),
                    1, hw.gpu().gemmBandwidthEfficiency(), EMBED_KERNELS);
            case PRE -> f.rows() == 0 ? 0 : gemm((double) f.rows() * model.preFlopsPerToken(),
                    model.preWeightBytes() + (double) f.rows() * preActivationBytes(), PRE_KERNELS);
            case POST -> f.rows() == 0 ? 0 : gemm((double) f.rows() * model.postFlopsPerToken(),
                    model.postWeightBytes() + (double) f.rows() * postActivationBytes(), POST_KERNELS);
            case LM_HEAD -> f.rows() == 0 ? 0 : gemm((double) f.rows() * model.lmHeadFlopsPerRow(),
                    model.lmHeadBytes() + (double) f.rows() * (model.hidden() * model.activationBytesPerElement() + 4L * model.vocab()),
                    LM_HEAD_KERNELS);
            case PREFILL_ATTN -> f.rows() == 0 ? 0 : gpu((double) f.prefillPairs() * model.attentionFlopsPerPair(),
                    (double) f.rows() * (model.qkvBytesPerToken() + model.attnOutBytesPerToken()),
                    hw.gpu().attentionComputeEfficiency(), hw.gpu().attentionBandwidthEfficiency(), PREFILL_ATTN_KERNELS);
            case GPU_DECODE_ATTN -> f.requests() == 0 ? 0 : gpu((double) f.contextTokens() * model.attentionFlopsPerPair(),
                    decodeAttentionBytes(f), hw.gpu().attentionComputeEfficiency(), hw.gpu().attentionBandwidthEfficiency(),
                    DECODE_ATTN_KERNELS);
            case CPU_DECODE_ATTN -> cpuDecodeAttention(f);
            case QKV_D2H, SWAP_OUT -> copy(f, hw.link().d2hBytesPerSec());
            case ATTN_OUT_H2D, SWAP_IN -> copy(f, hw.link().h2dBytesPerSec());
            case LAUNCH -> f.rows() * hw.gpu().kernelLaunchSec();
        };
    }

    /** Bytes decode attention reads and writes: the requests' KV plus each one's q and output. */
    private double decodeAttentionBytes(SubtaskFeatures f) {
        return (double) f.contextTokens() * model.kvBytesPerTokenPerLayer() + (double) f.requests() * model.qAndOutBytesPerToken();
    }

    /**
     * CPU decode attention: stream K and V of every context token once (GQA groups share a row) plus
     * the new q/k/v in and the output out, at the VM's bandwidth; or the flops at the cores' rate
     * if that is slower; plus a fixed call overhead and a per-request overhead.
     */
    private double cpuDecodeAttention(SubtaskFeatures f) {
        if (f.requests() == 0) {
            return 0;
        }
        HardwareSpec.Host host = hw.host();
        double bytes = (double) f.contextTokens() * model.kvBytesPerTokenPerLayer()
                + (double) f.requests() * (model.qkvBytesPerToken() + model.attnOutBytesPerToken());
        double flops = (double) f.contextTokens() * model.attentionFlopsPerPair();
        return host.attentionCallOverheadSec() + f.requests() * host.perRequestOverheadSec()
                + Math.max(bytes / host.attentionBandwidthBytesPerSec(), flops / host.flopsPerSec());
    }

    private double copy(SubtaskFeatures f, double bytesPerSec) {
        if (f.bytes() == 0) {
            return 0;
        }
        return Math.max(1, f.requests()) * hw.link().copyLatencySec() + f.bytes() / bytesPerSec;
    }

    private double gemm(double flops, double bytes, int kernels) {
        return gpu(flops, bytes, hw.gpu().gemmComputeEfficiency(), hw.gpu().gemmBandwidthEfficiency(), kernels);
    }

    private double gpu(double flops, double bytes, double computeEff, double bandwidthEff, int kernels) {
        double compute = flops / (hw.gpu().fp16TensorFlopsPerSec() * computeEff);
        double memory = bytes / (hw.gpu().memoryBandwidthBytesPerSec() * bandwidthEff);
        return Math.max(compute, memory) + kernels * hw.gpu().kernelLaunchSec();
    }

    /** Activation bytes per token through pre: x in, normed x out and in, q/k/v out, rope in-place, k/v append. */
    private double preActivationBytes() {
        int e = model.activationBytesPerElement();
        return 3.0 * model.hidden() * e + 3.0 * model.qkvBytesPerToken() + model.kvBytesPerTokenPerLayer();
    }

    /** Activation bytes per token through post: attention out in, residuals, normed x, gate/up out, silu out, down out. */
    private double postActivationBytes() {
        int e = model.activationBytesPerElement();
        return (double) model.qDim() * e + 6.0 * model.hidden() * e + 3.0 * model.intermediate() * e;
    }
}
