package org.apexbench.profiler;

/**
 * Subtask kinds. One decode layer is {@code PRE} (rmsnorm + QKV + rope + KV append), attention, and
 * {@code POST} (O projection + residual + rmsnorm + gate/up + SiLU*up + down + residual).
 */
public enum Op {
    /** Embedding lookup of the iteration's input tokens. */
    EMBED(Resource.GPU),
    PRE(Resource.GPU),
    POST(Resource.GPU),
    /** Causal attention over prompts (chunked prefill). */
    PREFILL_ATTN(Resource.GPU),
    /** Paged decode attention of GPU-resident requests. */
    GPU_DECODE_ATTN(Resource.GPU),
    /** Decode attention of host-resident requests, on the CPU (includes appending their K/V). */
    CPU_DECODE_ATTN(Resource.CPU_ATTN),
    /** Final norm, LM head and sampling. */
    LM_HEAD(Resource.GPU),
    /** q/k/v of CPU rows to the host. */
    QKV_D2H(Resource.PCIE_D2H),
    /** CPU attention output back to the GPU. */
    ATTN_OUT_H2D(Resource.PCIE_H2D),
    /** Whole-request KV move host -> GPU. */
    SWAP_IN(Resource.PCIE_H2D),
    /** Whole-request KV move GPU -> host. */
    SWAP_OUT(Resource.PCIE_D2H),
    /** Kernel launch work on the host launch thread (NEO's faithful single-thread runtime charges it). */
    LAUNCH(Resource.HOST_LAUNCH);

    private final Resource resource;

    Op(Resource resource) { this.resource = resource; }

    /** The resource this op runs on. */
    public Resource resource() { return resource; }
}
