package org.apexbench.kernels;

/**
 * A device's memory as its driver reports it ({@code cuMemGetInfo}): what a real run checks its weights, KV pool and
 * activations against before it loads anything, so that an impossible pool is refused up front with every term
 * named rather than by an out-of-memory error after minutes of weight upload.
 *
 * @param device     the device, as {@link Backend#describe()} names it
 * @param freeBytes  memory free now (other processes and this process's context already subtracted)
 * @param totalBytes the device's total memory
 */
public record DeviceMemory(String device, long freeBytes, long totalBytes) {
    public DeviceMemory {
        if (totalBytes <= 0 || freeBytes < 0 || freeBytes > totalBytes) {
            throw new IllegalArgumentException("device memory of " + device + ": free " + freeBytes + " of total " + totalBytes
                    + " bytes is not a memory size (0 <= free <= total, total > 0)");
        }
    }
}
