package org.apexbench.kernels;

/** The K and V buffers of one paged KV pool (GPU pool or host pool), both laid out by {@link KvGeometry}. */
public record KvPool(KvGeometry geometry, DeviceBuffer keys, DeviceBuffer values) {
    public KvPool {
        long need = geometry.bufferBytes();
        if (keys.bytes() < need || values.bytes() < need) {
            throw new IllegalArgumentException("KV pool buffers need " + need + " bytes each, got K=" + keys.bytes()
                    + " V=" + values.bytes());
        }
    }
}
