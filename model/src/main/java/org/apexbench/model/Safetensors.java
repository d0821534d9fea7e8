package org.apexbench.model;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.apexbench.kernels.DType;

/**
 * Memory-mapped safetensors weights: one file, or the shards named by a
 * {@code model.safetensors.index.json}:
 * <pre>
 *   { "metadata": {...}, "weight_map": { "model.layers.0.mlp.up_proj.weight": "model-00001-of-00004.safetensors", ... } }
 * </pre>
 * Each file is mapped once into one shared arena that lives until {@link #close()} (never an
 * automatic arena: views handed out must not lose their mapping); tensors are {@code asSlice} views of
 * the mapping, never copied onto the Java heap. See {@link SafetensorsHeader} for the file format.
 */
public final class Safetensors implements AutoCloseable {
    public static final String SINGLE_FILE = "model.safetensors";
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path source;
    private final Arena arena;
    private final Map<String, TensorInfo> tensors;
    private final Map<Path, MemorySegment> mappings;

    private Safetensors(Path source, Arena arena, Map<String, TensorInfo> tensors, Map<Path, MemorySegment> mappings) {
        this.source = source;
        this.arena = arena;
        this.tensors = Collections.unmodifiableMap(tensors);
        this.mappings = mappings;
    }

    /**
     * Opens a safetensors file, an index json, or a directory holding {@value #INDEX_FILE} or
     * {@value #SINGLE_FILE}.
     */
    public static Safetensors open(Path path) {
        if (Files.isDirectory(path)) {
            Path index = path.resolve(INDEX_FILE);
            if (Files.isRegularFile(index)) return openIndex(index);
            Path single = path.resolve(SINGLE_FILE);
            if (Files.isRegularFile(single)) return openFile(single);
            throw new ModelFormatException(path + ": no " + SINGLE_FILE + " or " + INDEX_FILE + " in this directory");
        }
        return path.getFileName().toString().endsWith(".index.json") ? openIndex(path) : openFile(path);
    }

    /** One safetensors file. */
    public static Safetensors openFile(Path file) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment mapped = map(file, arena);
            Map<String, TensorInfo> tensors = SafetensorsHeader.parse(file, mapped);
            Map<Path, MemorySegment> mappings = new HashMap<>();
            mappings.put(file, mapped);
            return new Safetensors(file, arena, new LinkedHashMap<>(tensors), mappings);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The shards of a sharded checkpoint, as listed by the index's {@code weight_map}. */
    public static Safetensors openIndex(Path indexFile) {
        JsonNode root;
        try {
            root = JSON.readTree(indexFile.toFile());
        } catch (IOException e) {
            throw new ModelFormatException(indexFile + ": cannot read safetensors index: " + e.getMessage(), e);
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new ModelFormatException(indexFile + ": missing field 'weight_map' (expected an object tensor name -> shard file)");
        }
        Path dir = indexFile.toAbsolutePath().getParent();
        Arena arena = Arena.ofShared();
        try {
            Map<Path, MemorySegment> mappings = new HashMap<>();
            Map<Path, Map<String, TensorInfo>> shards = new HashMap<>();
            Map<String, TensorInfo> tensors = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.properties().iterator(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getValue().isTextual()) {
                    throw new ModelFormatException(indexFile + ": weight_map['" + e.getKey() + "'] must be a file name, got "
                            + e.getValue());
                }
                Path shard = dir.resolve(e.getValue().textValue());
                Map<String, TensorInfo> inShard = shards.get(shard);
                if (inShard == null) {
                    if (!Files.isRegularFile(shard)) {
                        throw new ModelFormatException(indexFile + ": shard '" + e.getValue().textValue() + "' (for tensor '"
                                + e.getKey() + "') does not exist");
                    }
                    MemorySegment mapped = map(shard, arena);
                    mappings.put(shard, mapped);
                    inShard = SafetensorsHeader.parse(shard, mapped);
                    shards.put(shard, inShard);
                }
                TensorInfo info = inShard.get(e.getKey());
                if (info == null) {
                    throw new ModelFormatException(indexFile + ": weight_map puts tensor '" + e.getKey() + "' in shard '"
                            + e.getValue().textValue() + "', which has no such tensor");
                }
                tensors.put(e.getKey(), info);
            }
            return new Safetensors(indexFile, arena, tensors, mappings);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static MemorySegment map(Path file, Arena arena) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot map safetensors file: " + e.getMessage(), e);
        }
    }

    /** The file or index this was opened from. */
    public Path source() { return source; }

    public Set<String> names() { return tensors.keySet(); }

    public boolean contains(String name) { return tensors.containsKey(name); }

    /** Header entry of {@code name}; error naming the file if absent. */
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new ModelFormatException(source + ": missing tensor '" + name + "'");
        }
        return info;
    }

    /** Header entry of {@code name}, checked against the shape the model config implies. */
    public TensorInfo require(String name, long... expectedShape) {
        TensorInfo info = info(name);
        if (!info.hasShape(expectedShape)) {
            throw new ModelFormatException(info.file() + ": tensor '" + name + "' has shape " + info.shapeString()
                    + ", the model config expects " + java.util.Arrays.toString(expectedShape));
        }
        return info;
    }

    /** The tensor's bytes: a read-only view of the mapped file. */
    public MemorySegment data(TensorInfo info) {
        return mappings.get(info.file()).asSlice(info.offset(), info.bytes());
    }

    public MemorySegment data(String name) { return data(info(name)); }

    /**
     * One view spanning {@code first} and {@code second} when the file stores {@code second} right
     * after {@code first} (so they can be used as one stacked matrix without a copy).
     */
    public Optional<MemorySegment> adjacent(TensorInfo first, TensorInfo second) {
        if (!first.file().equals(second.file()) || first.dtype() != second.dtype()
                || first.offset() + first.bytes() != second.offset()) {
            return Optional.empty();
        }
        return Optional.of(mappings.get(first.file()).asSlice(first.offset(), first.bytes() + second.bytes()));
    }

    /** The tensor's elements as floats (for references and tests; at most 2^31 - 1 elements). */
    public float[] floats(String name) {
        TensorInfo info = info(name);
        if (info.elements() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException(source + ": tensor '" + name + "' is too large for a float[]");
        }
        return toFloats(data(info), info.dtype(), (int) info.elements());
    }

    static float[] toFloats(MemorySegment src, DType dtype, int count) {
        float[] out = new float[count];
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0,
                    out, 0, count);
            case F16 -> {
                ValueLayout.OfShort h = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < count; i++) out[i] = Float.float16ToFloat(src.getAtIndex(h, i));
            }
            case BF16 -> {
                // bf16 is the top half of an fp32: sign(1) exponent(8) mantissa(7) | 16 zero bits.
                ValueLayout.OfShort h = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < count; i++) out[i] = Float.intBitsToFloat((src.getAtIndex(h, i) & 0xffff) << 16);
            }
            default -> throw new IllegalArgumentException("cannot convert " + dtype + " to float");
        }
        return out;
    }

    /** Unmaps every file; views handed out become unusable. */
    @Override
    public void close() {
        arena.close();
    }
}
