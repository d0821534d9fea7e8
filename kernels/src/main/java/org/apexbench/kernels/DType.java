package org.apexbench.kernels;

/** Element types of weights, activations and KV caches, with their storage size. */
public enum DType {
    F32(4), F16(2), BF16(2), I32(4);

    private final int bytes;

    DType(int bytes) { this.bytes = bytes; }

    public int bytes() { return bytes; }

    /** The safetensors spelling of this type ("F32", "F16", "BF16", "I32"). */
    public String safetensorsName() { return name(); }
}
