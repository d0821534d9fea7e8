package org.apexbench.profiler;

/** The resources an iteration's subtasks run on (docs/architecture.md#the-iteration-plan). Each runs one subtask at a time. */
public enum Resource {
    /** The GPU compute stream (the "device" worker on the cpu backend). */
    GPU,
    /** Host to device copies over PCIe. */
    PCIE_H2D,
    /** Device to host copies over PCIe. */
    PCIE_D2H,
    /** The host CPU attention pool. */
    CPU_ATTN,
    /** The host thread that launches GPU work. */
    HOST_LAUNCH
}
