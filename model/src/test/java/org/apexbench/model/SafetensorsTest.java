package org.apexbench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.apexbench.kernels.DType;

class SafetensorsTest {
    @TempDir Path dir;

    static Path fixtures() { return Fixture.root(); }

    @Test
    void readsFixtureHeaderAndFindsGateUpAdjacent() {
        try (Safetensors st = Safetensors.open(fixtures().resolve("tiny-llama2"))) {
            assertEquals(2 + 1 + 4 * 9, st.names().size());
            TensorInfo gate = st.require("model.layers.0.mlp.gate_proj.weight", 352, 128);
            TensorInfo up = st.info("model.layers.0.mlp.up_proj.weight");
            assertEquals(DType.F16, gate.dtype());
            assertTrue(st.adjacent(gate, up).isPresent(), "HF writes gate_proj right before up_proj");
            assertEquals(2 * gate.bytes(), st.adjacent(gate, up).orElseThrow().byteSize());
            assertTrue(st.adjacent(up, gate).isEmpty());
        }
    }

    @Test
    void readsF32F16Bf16Values() throws IOException {
        float[] v = {1f, -2.5f, 0.15625f, 3f};
        ObjectNode h = SafetensorsFiles.header();
        SafetensorsFiles.entry(h, "f32", "F32", new long[] {2, 2}, 0, 16);
        SafetensorsFiles.entry(h, "f16", "F16", new long[] {4}, 16, 24);
        SafetensorsFiles.entry(h, "bf16", "BF16", new long[] {4}, 24, 32);
        ByteBuffer data = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) data.putFloat(x);
        for (float x : v) data.putShort(Float.floatToFloat16(x));
        for (float x : v) data.putShort((short) (Float.floatToRawIntBits(x) >>> 16));
        Path f = SafetensorsFiles.writeRaw(dir.resolve("m.safetensors"), SafetensorsFiles.json(h), data.array());
        try (Safetensors st = Safetensors.open(f)) {
            assertArrayEquals(v, st.floats("f32"));
            assertArrayEquals(v, st.floats("f16"));
            assertArrayEquals(v, st.floats("bf16"));
            assertEquals(8, st.data("f16").byteSize());
        }
    }

    @Test
    void readsShardedCheckpointThroughIndex() throws IOException {
        SafetensorsFiles.writeF32(dir.resolve("model-00001-of-00002.safetensors"),
                SafetensorsFiles.tensors("a", new long[] {2}, new float[] {1, 2}));
        SafetensorsFiles.writeF32(dir.resolve("model-00002-of-00002.safetensors"),
                SafetensorsFiles.tensors("b", new long[] {1, 3}, new float[] {3, 4, 5}));
        Files.writeString(dir.resolve(Safetensors.INDEX_FILE), """
                {"metadata": {"total_size": 20}, "weight_map": {"a": "model-00001-of-00002.safetensors",
                 "b": "model-00002-of-00002.safetensors"}}""");
        try (Safetensors st = Safetensors.open(dir)) {
            assertArrayEquals(new float[] {1, 2}, st.floats("a"));
            assertArrayEquals(new float[] {3, 4, 5}, st.floats("b"));
            assertTrue(st.info("b").file().endsWith("model-00002-of-00002.safetensors"));
        }
    }

    private String error(Path file) {
        return assertThrows(ModelFormatException.class, () -> Safetensors.open(file).close()).getMessage();
    }

    private Path raw(String header, int dataBytes) throws IOException {
        return SafetensorsFiles.writeRaw(dir.resolve("bad.safetensors"), header, new byte[dataBytes]);
    }

    @Test
    void rejectsFileShorterThanHeaderLength() throws IOException {
        Path f = Files.write(dir.resolve("short.safetensors"), new byte[5]);
        assertTrue(error(f).contains("too short"), error(f));
    }

    @Test
    void rejectsHeaderLengthBeyondFile() throws IOException {
        Path f = SafetensorsFiles.writeWithLength(dir.resolve("bad.safetensors"), 1000, "{}".getBytes(), new byte[4]);
        String msg = error(f);
        assertTrue(msg.contains("bad.safetensors") && msg.contains("header length 1000 exceeds the file size"), msg);
    }

    @Test
    void rejectsMalformedHeaderJson() throws IOException {
        String msg = error(raw("{\"a\": {", 0));
        assertTrue(msg.contains("malformed safetensors header JSON"), msg);
    }

    @Test
    void rejectsTruncatedData() throws IOException {
        String msg = error(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 12));
        assertTrue(msg.contains("tensor 'w'") && msg.contains("end beyond") && msg.contains("truncated"), msg);
    }

    @Test
    void rejectsBeginAfterEnd() throws IOException {
        String msg = error(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 16));
        assertTrue(msg.contains("tensor 'w'") && msg.contains("begin > end"), msg);
    }

    @Test
    void rejectsSizeInconsistentWithShape() throws IOException {
        String msg = error(raw("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2,3],\"data_offsets\":[0,16]}}", 16));
        assertTrue(msg.contains("tensor 'w'") && msg.contains("span 16 bytes") && msg.contains("needs 12"), msg);
    }

    /** A shape whose byte size overflows a long used to escape as an ArithmeticException. */
    @Test
    void rejectsShapesBeyondALongAndDuplicateNames() throws IOException {
        String msg = error(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 4));
        assertTrue(msg.contains("tensor 'w'") && msg.contains("more than 2^63 bytes"), msg);
        msg = error(raw("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4));
        assertTrue(msg.contains("Duplicate field 'w'"), msg);
    }

    @Test
    void rejectsOverlappingTensors() throws IOException {
        String msg = error(raw("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12));
        assertTrue(msg.contains("'a'") && msg.contains("'b'") && msg.contains("overlap"), msg);
    }

    @Test
    void rejectsUnsupportedDtype() throws IOException {
        String msg = error(raw("{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8));
        assertTrue(msg.contains("tensor 'ids'") && msg.contains("'I64'") && msg.contains("F32, F16 and BF16"), msg);
    }

    @Test
    void rejectsMissingFields() throws IOException {
        String msg = error(raw("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4));
        assertTrue(msg.contains("tensor 'w'") && msg.contains("'shape'"), msg);
    }

    @Test
    void missingTensorAndWrongShapeNameFileTensorAndShapes() throws IOException {
        Path f = SafetensorsFiles.writeF32(dir.resolve("m.safetensors"),
                SafetensorsFiles.tensors("w", new long[] {2, 3}, new float[6]));
        try (Safetensors st = Safetensors.open(f)) {
            String missing = assertThrows(ModelFormatException.class, () -> st.info("v")).getMessage();
            assertTrue(missing.contains("m.safetensors") && missing.contains("missing tensor 'v'"), missing);
            String shape = assertThrows(ModelFormatException.class, () -> st.require("w", 3, 2)).getMessage();
            assertTrue(shape.contains("m.safetensors") && shape.contains("'w'") && shape.contains("[2, 3]")
                    && shape.contains("expects [3, 2]"), shape);
        }
    }

    @Test
    void rejectsDirectoryWithoutWeights() {
        String msg = error(dir);
        assertTrue(msg.contains("no model.safetensors"), msg);
    }

    @Test
    void indexErrorsNameIndexShardAndTensor() throws IOException {
        Path index = dir.resolve(Safetensors.INDEX_FILE);
        Files.writeString(index, "{\"metadata\": {}}");
        assertTrue(error(index).contains("missing field 'weight_map'"), error(index));

        Files.writeString(index, "{\"weight_map\": {\"a\": \"gone.safetensors\"}}");
        String gone = error(index);
        assertTrue(gone.contains("shard 'gone.safetensors'") && gone.contains("'a'") && gone.contains("does not exist"), gone);

        SafetensorsFiles.writeF32(dir.resolve("s1.safetensors"), SafetensorsFiles.tensors("a", new long[] {1}, new float[1]));
        Files.writeString(index, "{\"weight_map\": {\"a\": \"s1.safetensors\", \"b\": \"s1.safetensors\"}}");
        String absent = error(index);
        assertTrue(absent.contains("'b'") && absent.contains("s1.safetensors") && absent.contains("no such tensor"), absent);
    }
}
