package org.apexbench.engine;

/** How an iteration's plan is laid out on the GPU, PCIe and CPU (docs/engines.md#neo, docs/engines.md#apex). */
public enum Strategy {
    /** One batch, everything on the GPU in sequence; CPU-resident requests make no progress. */
    GPU_ONLY,
    /** One unified batch; CPU attention of the CPU rows overlaps the GPU attention of the GPU rows (APEX AO). */
    ASYNC_OVERLAP,
    /** NEO's two unequal sub-batches, two overlap windows per layer. */
    ASYMMETRIC_PIPELINE,
    /** FastDecode's two equal sub-batches ping-ponging every layer. */
    SYMMETRIC_PIPELINE,
    /** Naive offloading: the GPU waits for CPU attention, no overlap. */
    OFFLOAD_SERIAL;

    /** Whether the plan is split into two sub-batches. */
    public boolean pipelined() { return this == ASYMMETRIC_PIPELINE || this == SYMMETRIC_PIPELINE; }
}
