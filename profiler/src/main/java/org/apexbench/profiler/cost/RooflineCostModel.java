package org.apexbench.profiler.cost;

import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.model.ModelGeometry;

/**
 * Subtask times from the kernels each op runs, with parameters fitted on measured operator profiles
 * (docs/fidelity.md). On the GPU:
 * <ul>
 * <li>PRE = RMSNorm + fused QKV GEMM + rotary embedding; POST = O GEMM + RMSNorm + gate/up GEMM + SiLU-and-multiply
 *     + down GEMM + two residual adds; LM_HEAD = final RMSNorm + vocabulary GEMM + sampling over fp32 logits;
 *     EMBED = a gather. Each GEMM is a soft-maximum roofline with a floor ({@link HardwareSpec.Gemm}), each other
 *     kernel moves its bytes at a fitted bandwidth above a floor ({@link HardwareSpec.Elementwise}).</li>
 * <li>Decode attention: a fixed and a per-request cost plus the KV at a fitted bandwidth
 *     ({@link HardwareSpec.DecodeAttention}); the KV append of the new token is inside the measured kernel.</li>
 * <li>Prefill attention: prefix and causal pairs at efficiencies that grow with the chunk length
 *     ({@link HardwareSpec.PrefillAttention}), see {@link #prefillAttention}.</li>
 * </ul>
 * These are GPU times: host launch cost is Op.LAUNCH's, charged where a runtime launches from a host thread.
 * CPU decode attention streams the KV of its requests at the host's effective bandwidth
 * ({@link HardwareSpec.Host#attentionBandwidthBytesPerSec()}) plus a call and per-request overhead; copies take
 * {@code transfers * latency + bytes / linkBandwidth}.
 */
public final class RooflineCostModel implements CostModel {
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
            case EMBED -> f.rows() == 0 ? 0 : elementwise(2.0 * f.rows() * model.hidden() * activationBytes());
            case PRE -> f.rows() == 0 ? 0 : pre(f.rows());
            case POST -> f.rows() == 0 ? 0 : post(f.rows());
            case LM_HEAD -> f.rows() == 0 ? 0 : rmsNorm(f.rows()) + gemm(f.rows(), model.hidden(), model.vocab())
                    + elementwise(4.0 * f.rows() * model.vocab());
            case PREFILL_ATTN -> f.rows() == 0 ? 0 : prefillAttention(f);
            case GPU_DECODE_ATTN -> f.requests() == 0 ? 0 : decodeAttention(f);
            case CPU_DECODE_ATTN -> cpuDecodeAttention(f);
            case QKV_D2H, SWAP_OUT -> copy(f, hw.link().d2hBytesPerSec());
            case ATTN_OUT_H2D, SWAP_IN -> copy(f, hw.link().h2dBytesPerSec());
            case LAUNCH -> f.rows() * hw.gpu().kernelLaunchSec();
        };
    }

    /** PRE of {@code n} tokens: input RMSNorm, fused QKV GEMM, rotary embedding of q and k. */
    private double pre(int n) {
        return rmsNorm(n) + gemm(n, model.hidden(), model.qDim() + 2 * model.kvDim())
                + elementwise(2.0 * n * (model.qDim() + model.kvDim()) * activationBytes());
    }

    /** POST of {@code n} tokens: O GEMM, RMSNorm, gate/up GEMM, SiLU-and-multiply, down GEMM, two residual adds. */
    private double post(int n) {
        long h = model.hidden();
        long i = model.intermediate();
        double residualAdd = elementwise(3.0 * n * h * activationBytes());
        return gemm(n, model.qDim(), h) + rmsNorm(n) + gemm(n, h, 2 * i) + elementwise(3.0 * n * i * activationBytes())
                + gemm(n, i, h) + 2 * residualAdd;
    }

    private double rmsNorm(int n) {
        return elementwise((2.0 * n * model.hidden() + model.hidden()) * activationBytes());
    }

    /**
     * One GEMM of {@code n} rows through a {@code k x nOut} weight: soft-maximum roofline above a floor. Package-visible
     * for the tests that hold each GPU's tensor rate to its measured GEMM.
     */
    double gemm(int n, long k, long nOut) {
        HardwareSpec.Gemm g = hw.gpu().gemm();
        double compute = 2.0 * n * k * nOut / (hw.gpu().fp16TensorFlopsPerSec() * g.computeEfficiency());
        double bytes = (double) k * nOut * model.weightBytesPerElement() + ((double) n * k + (double) n * nOut) * activationBytes();
        double memory = bytes / (hw.gpu().memoryBandwidthBytesPerSec() * g.bandwidthEfficiency());
        double p = g.softmaxPower();
        return g.floorUs() * 1e-6 + Math.pow(Math.pow(compute, p) + Math.pow(memory, p), 1.0 / p);
    }

    /** One elementwise kernel moving {@code bytes}. */
    private double elementwise(double bytes) {
        HardwareSpec.Elementwise e = hw.gpu().elementwise();
        return e.floorUs() * 1e-6 + bytes / (hw.gpu().memoryBandwidthBytesPerSec() * e.bandwidthEfficiency());
    }

    private double decodeAttention(SubtaskFeatures f) {
        HardwareSpec.DecodeAttention d = hw.gpu().decodeAttention();
        return (d.fixedUs() + d.perRequestUs() * f.requests()) * 1e-6
                + (double) f.contextTokens() * model.kvBytesPerTokenPerLayer() / (hw.gpu().memoryBandwidthBytesPerSec() * d.bandwidthEfficiency());
    }

    /**
     * Prefill attention: for chunks of c_i new tokens after k_i cached ones, the fixed cost plus
     * {@code F/peak * sum_i (c_i k_i / eP(c_i) + c_i(c_i+1)/2 / eC(c_i))}. With {@code e(c) = eMax c / (c + half)}
     * the sum is linear in the sums {@code S(ck), S(k), S(c^2), S(c)} and the chunk count, so it needs no list of
     * chunks: a single chunk's k follows from its pairs; chunks that all start a prompt have {@code S(ck) = 0}; a
     * call mixing several chunks with cached prefixes carries {@code S(k)} in {@code contextTokens} and is evaluated
     * as chunks of equal length (the one case that is not exact: it shifts pairs from causal to prefix).
     */
    private double prefillAttention(SubtaskFeatures f) {
        HardwareSpec.PrefillAttention a = hw.gpu().prefillAttention();
        double chunks = Math.max(1, f.requests());
        double sumC = f.rows();
        double half = f.prefillPairs() - sumC / 2;     // S(ck) + S(c^2)/2
        double sumC2;
        double sumCk;
        double sumK;
        if (chunks == 1) {
            sumC2 = sumC * sumC;
            sumCk = Math.max(0, half - sumC2 / 2);
            sumK = sumCk / sumC;
        } else if (f.contextTokens() == 0) {
            sumC2 = 2 * half;
            sumCk = 0;
            sumK = 0;
        } else {
            sumC2 = Math.min(2 * half, sumC * sumC / chunks);
            sumCk = half - sumC2 / 2;
            sumK = f.contextTokens();
        }
        double prefix = (sumCk + a.prefixHalfTokens() * sumK) / a.prefixEfficiency();
        double causal = (sumC2 + (1 + a.causalHalfTokens()) * sumC + a.causalHalfTokens() * chunks) / (2 * a.causalEfficiency());
        return a.fixedUs() * 1e-6 + model.attentionFlopsPerPair() / hw.gpu().fp16TensorFlopsPerSec() * (prefix + causal);
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

    /** Bytes of one activation element (the KV width in simulation). */
    private int activationBytes() { return model.activationBytesPerElement(); }
}
