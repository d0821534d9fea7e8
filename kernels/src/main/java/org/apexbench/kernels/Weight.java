package org.apexbench.kernels;

import java.util.Objects;

/**
 * A row-major weight matrix {@code [rows][cols]} of {@code dtype} in backend memory.
 * A vector (a norm weight) is a matrix with one row.
 */
public record Weight(String name, DeviceBuffer data, DType dtype, int rows, int cols) {
    public Weight {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(dtype, "dtype");
        long need = (long) rows * cols * dtype.bytes();
        if (rows <= 0 || cols <= 0 || data.bytes() < need) {
            throw new IllegalArgumentException("weight " + name + ": [" + rows + "x" + cols + "] " + dtype
                    + " needs " + need + " bytes, buffer has " + data.bytes());
        }
    }

    public long bytes() { return (long) rows * cols * dtype.bytes(); }
}
