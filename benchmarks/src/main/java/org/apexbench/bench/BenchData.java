package org.apexbench.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceBuffer;

/** Fills backend buffers with seeded random values of a storage type (through host memory and write()). */
final class BenchData {
    private BenchData() {}

    private static final ValueLayout.OfShort S16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A buffer of {@code count} random values in [-scale, scale) stored as {@code type}, written in 1 MiB chunks. */
    static DeviceBuffer random(Backend backend, DType type, long count, float scale, long seed) {
        DeviceBuffer buffer = backend.allocate(count * type.bytes());
        Random rnd = new Random(seed);
        int chunk = 1 << 18;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment host = arena.allocate((long) chunk * type.bytes(), 64);
            for (long done = 0; done < count; done += chunk) {
                int n = (int) Math.min(chunk, count - done);
                for (int i = 0; i < n; i++) {
                    float v = (rnd.nextFloat() * 2 - 1) * scale;
                    switch (type) {
                        case F32 -> host.setAtIndex(F32, i, v);
                        case F16 -> host.setAtIndex(S16, i, Float.floatToFloat16(v));
                        case BF16 -> host.setAtIndex(S16, i, (short) (Float.floatToRawIntBits(v) >>> 16));
                        default -> throw new IllegalArgumentException("no random data for " + type);
                    }
                }
                backend.write(host.asSlice(0, (long) n * type.bytes()), buffer, done * type.bytes());
            }
        }
        return buffer;
    }
}
