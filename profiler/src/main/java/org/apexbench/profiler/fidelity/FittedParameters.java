package org.apexbench.profiler.fidelity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apexbench.profiler.hardware.HardwareSpec;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The parameters {@code scripts/fidelity/fit_models.py} fitted on the operator profiles ({@code params.json} beside
 * the data): GEMM and elementwise parameters per GPU ({@code a100}, {@code h100}, {@code a40}) and attention
 * parameters per kernel ({@code device/model/backend}, e.g. {@code a100/Meta-Llama-3-8B/FLASHINFER}). The built-in
 * hardware specs carry these values (rounded to 5 significant digits) and cite them.
 */
public final class FittedParameters {
    static final String FILE = "params.json";

    private final JsonNode root;

    private FittedParameters(JsonNode root) { this.root = root; }

    /** The committed fit. */
    public static FittedParameters load() {
        try (InputStream in = OperatorProfiles.resource(FILE)) {
            return new FittedParameters(new ObjectMapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + FILE, e);
        }
    }

    public HardwareSpec.Gemm gemm(String device) {
        JsonNode n = node("gemm_elementwise", device);
        return new HardwareSpec.Gemm(n.get("gemmComputeEff").asDouble(), n.get("gemmBandwidthEff").asDouble(),
                n.get("gemmSoftmaxPower").asDouble(), n.get("gemmFloorSec").asDouble() * 1e6);
    }

    public HardwareSpec.Elementwise elementwise(String device) {
        JsonNode n = node("gemm_elementwise", device);
        return new HardwareSpec.Elementwise(n.get("elementwiseBandwidthEff").asDouble(), n.get("elementwiseFloorSec").asDouble() * 1e6);
    }

    public HardwareSpec.DecodeAttention decode(String kernel) {
        JsonNode n = node("decode", kernel);
        return new HardwareSpec.DecodeAttention(n.get("fixedSec").asDouble() * 1e6, n.get("perRequestSec").asDouble() * 1e6,
                n.get("bandwidthEff").asDouble());
    }

    public HardwareSpec.PrefillAttention prefill(String kernel) {
        JsonNode n = node("prefill", kernel);
        if (!"split2".equals(n.path("form").asText())) {
            throw new IllegalStateException(FILE + ": prefill." + kernel + ".form must be split2 (the form the cost model evaluates)");
        }
        return new HardwareSpec.PrefillAttention(n.get("fixedSec").asDouble() * 1e6, n.get("prefixEffMax").asDouble(),
                n.get("prefixHalfTokens").asDouble(), n.get("causalEffMax").asDouble(), n.get("causalHalfTokens").asDouble());
    }

    private JsonNode node(String group, String key) {
        JsonNode n = root.path(group).get(key);
        if (n == null) throw new IllegalArgumentException(FILE + " has no " + group + "." + key);
        return n;
    }
}
