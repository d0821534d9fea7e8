package org.apexbench.kernels;

/**
 * Memory owned by a {@link Backend}: off-heap host memory for the cpu backend, device memory for
 * cuda. Offsets and sizes are {@code long} so nothing is capped at 2 GiB.
 *
 * <p>Not sealed: its implementations live in the backends' own packages, and a sealed interface in
 * the unnamed module may only permit classes of its own package.
 */
public interface DeviceBuffer {
    /** Size in bytes. */
    long bytes();

    /** A view of {@code bytes} bytes starting at {@code offset}; shares memory with this buffer. */
    DeviceBuffer slice(long offset, long bytes);
}
