package org.apexbench.kernels.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector species every CPU kernel uses, fixed once per JVM by {@code -Dapex.vectorBits=0|128|256|512}
 * (default: the preferred species). They are {@code static final} so C2 constant-folds them.
 * 0 means scalar: the kernels take their scalar reference paths.
 */
final class Simd {
    private Simd() {}

    static final String PROPERTY = "apex.vectorBits";
    /** Non-null when the property asked for a width this JVM/CPU cannot run; the backend refuses to open. */
    static final String CONFIG_ERROR;
    /** 0 (scalar), 128, 256 or 512. */
    static final int BITS;
    static final VectorSpecies<Float> F;
    static final VectorSpecies<Integer> I;
    /** Shorts with as many lanes as {@link #F}: a bf16 row chunk that widens to one float vector. */
    static final VectorSpecies<Short> S;
    static final int LANES;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    static {
        int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        String raw = System.getProperty(PROPERTY);
        int bits = preferred;
        String error = null;
        if (raw != null && !raw.isBlank()) {
            try {
                bits = Integer.parseInt(raw.trim());
            } catch (NumberFormatException e) {
                bits = preferred;
                error = "-D" + PROPERTY + "=" + raw + " is not a number: expected 0, 128, 256 or 512";
            }
            if (error == null && bits != 0 && bits != 128 && bits != 256 && bits != 512) {
                error = "-D" + PROPERTY + "=" + raw + ": expected 0 (scalar), 128, 256 or 512";
                bits = preferred;
            } else if (error == null && bits > preferred) {
                error = "-D" + PROPERTY + "=" + raw + ": this CPU/JVM supports at most " + preferred + "-bit vectors";
                bits = preferred;
            }
        }
        CONFIG_ERROR = error;
        BITS = bits;
        int shapeBits = bits == 0 ? preferred : bits;
        F = FloatVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(shapeBits));
        I = IntVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(shapeBits));
        S = VectorSpecies.of(short.class, VectorShape.forBitSize(shapeBits / 2));
        LANES = F.length();
    }

    static boolean enabled() { return BITS != 0; }

    static String describe() {
        return BITS == 0 ? "scalar (apex.vectorBits=0)" : BITS + "-bit (" + LANES + " float lanes)";
    }

    /**
     * Sum of the lanes by halving (512 -> 256 -> 128 bits) and one 4-lane reduce: cheaper than a full-width
     * {@code reduceLanes(ADD)}, which C2 may emit as a strictly ordered chain of scalar adds.
     */
    static float sum(FloatVector v) {
        FloatVector x = v;
        if (x.length() == 16) {
            x = ((FloatVector) x.reinterpretShape(FloatVector.SPECIES_256, 0))
                    .add((FloatVector) x.reinterpretShape(FloatVector.SPECIES_256, 1));
        }
        if (x.length() == 8) {
            x = ((FloatVector) x.reinterpretShape(FloatVector.SPECIES_128, 0))
                    .add((FloatVector) x.reinterpretShape(FloatVector.SPECIES_128, 1));
        }
        return x.reduceLanes(VectorOperators.ADD);
    }

    static FloatVector f32(MemorySegment s, long off) { return FloatVector.fromMemorySegment(F, s, off, LE); }

    /**
     * bf16 -> fp32, exact: bf16 is the top half of an fp32.
     * <pre>
     *   bf16:  s eeeeeeee mmmmmmm                 (16 bits)
     *   fp32:  s eeeeeeee mmmmmmm 0000000000000000 (widen the short lane to an int, shift left 16)
     * </pre>
     */
    static FloatVector bf16(MemorySegment s, long off) {
        ShortVector raw = ShortVector.fromMemorySegment(S, s, off, LE);
        return ((IntVector) raw.convertShape(VectorOperators.S2I, I, 0)).lanewise(VectorOperators.LSHL, 16)
                .reinterpretAsFloats();
    }
}
