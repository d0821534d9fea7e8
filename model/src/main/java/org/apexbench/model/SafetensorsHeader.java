package org.apexbench.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.apexbench.kernels.DType;

/**
 * Parses and validates the header of one safetensors file. The format
 * (https://huggingface.co/docs/safetensors, "Format"):
 * <pre>
 *   8 bytes      N, an unsigned little-endian 64-bit integer: the size of the header
 *   N bytes      a UTF-8 JSON object:
 *                  { "TENSOR_NAME": { "dtype": "F16", "shape": [1, 16, 256], "data_offsets": [BEGIN, END] },
 *                    ...,
 *                    "__metadata__": { string: string }   (optional, free-form) }
 *   rest         the byte buffer; a tensor's bytes are [BEGIN, END) relative to the start of the buffer,
 *                row-major, little-endian
 * </pre>
 * We accept F32, F16 and BF16 tensors and reject, naming file and tensor: a header length beyond the
 * file, an end offset beyond the file (truncated download), BEGIN &gt; END, a size that disagrees with
 * shape x dtype size, and overlapping tensors.
 */
final class SafetensorsHeader {
    /** Duplicate keys are refused: which of two values a reader takes is not defined. */
    private static final ObjectMapper JSON = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SafetensorsHeader() {}

    /** Tensors of {@code file} (mapped whole as {@code mapped}), in header order. */
    static Map<String, TensorInfo> parse(Path file, MemorySegment mapped) {
        long fileSize = mapped.byteSize();
        if (fileSize < 8) {
            throw new ModelFormatException(file + ": " + fileSize
                    + " bytes is too short for a safetensors file (it starts with an 8-byte header length)");
        }
        long headerLen = mapped.get(U64_LE, 0);
        if (headerLen < 0 || headerLen > fileSize - 8) {
            throw new ModelFormatException(file + ": header length " + Long.toUnsignedString(headerLen)
                    + " exceeds the file size " + fileSize + " (not a safetensors file, or truncated)");
        }
        if (headerLen > Integer.MAX_VALUE - 16) {
            throw new ModelFormatException(file + ": header length " + headerLen + " is implausibly large");
        }
        // The whole header in one read from the mapping.
        byte[] headerBytes = mapped.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
        JsonNode root;
        try {
            root = JSON.readTree(headerBytes);
        } catch (java.io.IOException e) {
            String why = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
            throw new ModelFormatException(file + ": malformed safetensors header JSON: " + why, e);
        }
        if (root == null || !root.isObject()) {
            throw new ModelFormatException(file + ": safetensors header must be a JSON object of tensors");
        }
        long dataStart = 8 + headerLen;
        long dataSize = fileSize - dataStart;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        List<long[]> spans = new ArrayList<>();
        List<String> spanNames = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (name.equals("__metadata__")) continue;
            TensorInfo info = entry(file, name, e.getValue(), dataStart, dataSize);
            tensors.put(name, info);
            spans.add(new long[] {info.offset() - dataStart, info.offset() - dataStart + info.bytes()});
            spanNames.add(name);
        }
        checkOverlaps(file, spans, spanNames);
        return tensors;
    }

    private static TensorInfo entry(Path file, String name, JsonNode node, long dataStart, long dataSize) {
        String where = file + ": tensor '" + name + "'";
        if (!node.isObject()) {
            throw new ModelFormatException(where + ": expected an object {dtype, shape, data_offsets}, got " + node);
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new ModelFormatException(where + ": missing or non-string field 'dtype'");
        }
        DType dtype = switch (dtypeNode.textValue()) {
            case "F32" -> DType.F32;
            case "F16" -> DType.F16;
            case "BF16" -> DType.BF16;
            default -> throw new ModelFormatException(where + " has dtype '" + dtypeNode.textValue()
                    + "', supported dtypes are F32, F16 and BF16");
        };
        long[] shape = longs(where, node.get("shape"), "shape", -1);
        long[] offsets = longs(where, node.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new ModelFormatException(where + ": data_offsets [" + begin + ", " + end + "] has begin > end");
        }
        if (end > dataSize) {
            throw new ModelFormatException(where + ": data_offsets [" + begin + ", " + end + "] end beyond the "
                    + dataSize + " data bytes in the file (truncated file?)");
        }
        long elements = 1;
        long need;
        try {
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            need = Math.multiplyExact(elements, dtype.bytes());
        } catch (ArithmeticException overflow) {
            throw new ModelFormatException(where + ": shape " + java.util.Arrays.toString(shape) + " has more than 2^63 bytes");
        }
        if (end - begin != need) {
            throw new ModelFormatException(where + ": data_offsets [" + begin + ", " + end + "] span " + (end - begin)
                    + " bytes, but shape " + java.util.Arrays.toString(shape) + " of " + dtype + " needs " + need);
        }
        return new TensorInfo(name, dtype, shape, file, dataStart + begin, need);
    }

    private static long[] longs(String where, JsonNode node, String field, int expectedLength) {
        if (node == null || !node.isArray() || expectedLength >= 0 && node.size() != expectedLength) {
            throw new ModelFormatException(where + ": field '" + field + "' must be an array of "
                    + (expectedLength >= 0 ? expectedLength + " " : "") + "non-negative integers, got " + node);
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new ModelFormatException(where + ": field '" + field + "' must hold non-negative integers, got " + node);
            }
            out[i] = v.longValue();
        }
        return out;
    }

    private static void checkOverlaps(Path file, List<long[]> spans, List<String> names) {
        Integer[] order = new Integer[spans.size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        java.util.Arrays.sort(order, Comparator.comparingLong((Integer i) -> spans.get(i)[0])
                .thenComparingLong(i -> spans.get(i)[1]));
        for (int k = 1; k < order.length; k++) {
            long[] prev = spans.get(order[k - 1]);
            long[] cur = spans.get(order[k]);
            // Zero-size tensors occupy no bytes and cannot overlap anything.
            if (cur[0] < prev[1] && cur[1] > cur[0]) {
                throw new ModelFormatException(file + ": tensors '" + names.get(order[k - 1]) + "' [" + prev[0] + ", "
                        + prev[1] + ") and '" + names.get(order[k]) + "' [" + cur[0] + ", " + cur[1] + ") overlap");
            }
        }
    }
}
