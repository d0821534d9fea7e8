package org.apexbench.model;

import java.nio.file.Path;
import java.util.Arrays;

import org.apexbench.kernels.DType;

/**
 * One tensor's header entry in a safetensors file.
 *
 * @param shape  dimensions, outermost first (row-major); treat as read-only
 * @param offset byte offset of the tensor's data from the start of the file (8 + header length + begin)
 * @param bytes  size of the data (end - begin = product(shape) * dtype size)
 */
public record TensorInfo(String name, DType dtype, long[] shape, Path file, long offset, long bytes) {

    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public boolean hasShape(long... expected) { return Arrays.equals(shape, expected); }

    public String shapeString() { return Arrays.toString(shape); }
}
