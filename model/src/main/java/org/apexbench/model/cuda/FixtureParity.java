package org.apexbench.model.cuda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apexbench.model.Generator;
import org.apexbench.model.LlamaModel;
import org.apexbench.model.LlamaWeights;
import org.apexbench.model.Safetensors;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.BackendUnavailableException;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;

/**
 * The test-data models (testdata/models: tiny Llama checkpoints with Hugging Face float32 references) run
 * on a backend with an fp16 KV cache, compared with the references. Used by CudaFixtureModelTest and,
 * without Maven or JUnit, by scripts/gpu-check.sh: {@code FixtureParity <fixtures-dir> [backend]}.
 *
 * <p>Tolerance {@value #LOGIT_TOLERANCE} absolute on every prefill logit: the cuda path keeps
 * activations and KV in fp16 (relative step 2^-11); logits up to ~8 carry ~4e-3 from the final fp16
 * store alone and every layer adds rounding of the residual stream, so a few 1e-2 is expected, while a
 * wrong rope, mask or head mapping moves logits by O(1). Greedy tokens are checked teacher-forced (the
 * fixtures' min_top2_margin values, 0.01 to 0.06 for these two models, are below 2 x the tolerance, so
 * free-running decoding would prove nothing under fp16): feeding prompt + reference continuation, the backend's argmax at every step must be the
 * reference token unless it sees the two within 2 x tolerance (a near-tie, reported).
 */
public final class FixtureParity {
    public static final double LOGIT_TOLERANCE = 0.1;
    public static final List<String> MODELS = List.of("tiny-llama2", "tiny-llama3");

    /** One case; {@code failure} is null when it passed. */
    public record CaseResult(String model, String name, double maxLogitError, int greedyExact, int greedySteps,
                             List<String> nearTies, String failure) {
        @Override public String toString() {
            return String.format("%-6s %-12s %-6s max|logit err|=%.4f greedy %d/%d exact%s%s", failure == null ? "PASS" : "FAIL",
                    model, name, maxLogitError, greedyExact, greedySteps, nearTies.isEmpty() ? "" : ", near-ties " + nearTies,
                    failure == null ? "" : ": " + failure);
        }
    }

    private FixtureParity() {}

    /** Runs every case of fixture {@code dir} on {@code backend}. */
    public static List<CaseResult> check(Backend backend, Path dir) {
        String model = dir.getFileName().toString();
        JsonNode cases;
        try {
            cases = new ObjectMapper().readTree(dir.resolve("reference.json").toFile()).get("cases");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<CaseResult> out = new ArrayList<>();
        try (LlamaModel m = new LlamaModel(LlamaWeights.load(dir, backend), backend);
             Safetensors ref = Safetensors.open(dir.resolve("reference.safetensors"))) {
            int vocab = m.config().vocabSize();
            for (JsonNode c : cases) {
                String name = c.get("name").asText();
                int[] prompt = ints(c.get("prompt"));
                float[][] logits = new Generator(m, Generator.Options.of(DType.F16)).prefillLogits(prompt);
                float[] want = ref.floats(name + ".prefill_logits");
                double worst = 0;
                for (int t = 0; t < prompt.length; t++) {
                    for (int v = 0; v < vocab; v++) worst = Math.max(worst, Math.abs(logits[t][v] - want[t * vocab + v]));
                }
                String failure = worst <= LOGIT_TOLERANCE ? null : "max |logit error| " + worst + " > " + LOGIT_TOLERANCE;
                int[] greedy = ints(c.get("greedy"));
                int[] forced = new int[prompt.length + greedy.length - 1];
                System.arraycopy(prompt, 0, forced, 0, prompt.length);
                System.arraycopy(greedy, 0, forced, prompt.length, greedy.length - 1);
                float[][] steps = new Generator(m, Generator.Options.of(DType.F16)).prefillLogits(forced);
                int exact = 0;
                List<String> ties = new ArrayList<>();
                for (int i = 0; i < greedy.length; i++) {
                    float[] row = steps[prompt.length - 1 + i];
                    int best = 0;
                    for (int v = 1; v < vocab; v++) if (row[v] > row[best]) best = v;
                    if (best == greedy[i]) {
                        exact++;
                        continue;
                    }
                    double gap = row[best] - row[greedy[i]];
                    if (gap <= 2 * LOGIT_TOLERANCE) {
                        ties.add("step " + i);
                    } else if (failure == null) {
                        failure = "step " + i + ": picks " + best + ", reference " + greedy[i] + ", logit gap " + gap + " > "
                                + 2 * LOGIT_TOLERANCE;
                    }
                }
                out.add(new CaseResult(model, name, worst, exact, greedy.length, ties, failure));
            }
        }
        return out;
    }

    private static int[] ints(JsonNode a) {
        int[] v = new int[a.size()];
        for (int i = 0; i < v.length; i++) v[i] = a.get(i).asInt();
        return v;
    }

    /** {@code FixtureParity <fixtures-dir> [backend]}: exit 0 all pass, 1 a failure, 2 backend unavailable or no fixtures. */
    public static void main(String[] args) {
        GpuCheckArgs parsed = GpuCheckArgs.parse(args, "FixtureParity <fixtures-dir>");
        Path root = parsed.fixture();
        String backendName = parsed.backend();
        int failures = 0, ran = 0;
        try (Backend backend = Backends.open(backendName, 0)) {
            for (String model : MODELS) {
                Path dir = root.resolve(model);
                if (!Files.isDirectory(dir)) {
                    System.out.println("fixture " + dir + " not present");
                    continue;
                }
                for (CaseResult r : check(backend, dir)) {
                    System.out.println(r);
                    ran++;
                    if (r.failure() != null) failures++;
                }
            }
        } catch (BackendUnavailableException e) {
            System.err.println("FixtureParity: " + e.getMessage());
            System.exit(2);
        }
        System.out.println("fixture parity on " + backendName + ": " + (ran - failures) + "/" + ran + " cases passed");
        System.exit(ran == 0 ? 2 : failures == 0 ? 0 : 1);
    }
}
