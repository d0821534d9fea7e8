package org.apexbench.model;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Writes small safetensors files (valid or deliberately broken) for tests. */
final class SafetensorsFiles {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsFiles() {}

    /** A float32 tensor with its values. */
    record F32(long[] shape, float[] values) {}

    /** Writes a valid file of float32 tensors laid out in map order. */
    static Path writeF32(Path file, Map<String, F32> tensors) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        ByteBuffer data = ByteBuffer.allocate(tensors.values().stream().mapToInt(t -> t.values().length * 4).sum())
                .order(ByteOrder.LITTLE_ENDIAN);
        for (Map.Entry<String, F32> e : tensors.entrySet()) {
            long bytes = e.getValue().values().length * 4L;
            entry(header, e.getKey(), "F32", e.getValue().shape(), offset, offset + bytes);
            for (float v : e.getValue().values()) data.putFloat(v);
            offset += bytes;
        }
        return writeRaw(file, JSON.writeValueAsString(header), data.array());
    }

    static void entry(ObjectNode header, String name, String dtype, long[] shape, long begin, long end) {
        ObjectNode t = header.putObject(name);
        t.put("dtype", dtype);
        var s = t.putArray("shape");
        for (long d : shape) s.add(d);
        t.putArray("data_offsets").add(begin).add(end);
    }

    /** Header text as given, its true length as the 8-byte prefix, then {@code data}. */
    static Path writeRaw(Path file, String headerJson, byte[] data) throws IOException {
        byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
        return writeWithLength(file, header.length, header, data);
    }

    /** Like {@link #writeRaw} with an arbitrary (possibly lying) header length prefix. */
    static Path writeWithLength(Path file, long headerLength, byte[] header, byte[] data) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(headerLength).put(header).put(data);
        Files.write(file, buf.array());
        return file;
    }

    static ObjectNode header() { return JSON.createObjectNode(); }

    static String json(Object o) throws IOException { return JSON.writeValueAsString(o); }

    static Map<String, F32> tensors(Object... nameShapeValues) {
        Map<String, F32> m = new LinkedHashMap<>();
        for (int i = 0; i < nameShapeValues.length; i += 3) {
            m.put((String) nameShapeValues[i], new F32((long[]) nameShapeValues[i + 1], (float[]) nameShapeValues[i + 2]));
        }
        return m;
    }
}
