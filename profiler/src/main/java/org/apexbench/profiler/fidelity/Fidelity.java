package org.apexbench.profiler.fidelity;

import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.cost.RooflineCostModel;
import org.apexbench.profiler.fidelity.OperatorProfiles.AttentionRow;
import org.apexbench.profiler.fidelity.OperatorProfiles.MlpRow;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.model.ModelGeometry;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The simulator's GPU cost model ({@link RooflineCostModel} on the built-in hardware specs) against Vidur's measured
 * operator profiles, on the points the fit did not see: the same held-out splits as {@code scripts/fidelity/
 * fit_models.py}. Each {@link Comparison} is one op group on one GPU, model and kernel, with its MAPE target.
 */
public final class Fidelity {
    /** Held-out MAPE targets, percent (issue 13). */
    public static final double PRE_POST_TARGET_PCT = 10;
    public static final double DECODE_TARGET_PCT = 15;
    public static final double PREFILL_TARGET_PCT = 20;

    static final List<String> PRE_OPS = List.of("input_layernorm", "attn_pre_proj", "attn_rope");
    static final List<String> POST_OPS = List.of("attn_post_proj", "post_attention_layernorm", "mlp_up_proj", "mlp_act",
            "mlp_down_proj", "add", "add");

    static final String LLAMA2 = "Llama-2-7b-hf";
    static final String LLAMA3 = "Meta-Llama-3-8B";
    /** The shapes of the profiled models (Hugging Face config.json of meta-llama/Llama-2-7b-hf and Meta-Llama-3-8B), fp16. */
    static final ModelGeometry LLAMA_2_7B = new ModelGeometry("llama-2-7b", 32, 4096, 11008, 32, 32, 128, 32000, 4096, false, 2, 2);
    static final ModelGeometry LLAMA_3_8B = new ModelGeometry("llama-3-8b", 32, 4096, 14336, 32, 8, 128, 128256, 8192, false, 2, 2);
    private static final Map<String, ModelGeometry> MODELS = Map.of(LLAMA2, LLAMA_2_7B, LLAMA3, LLAMA_3_8B);
    /** Vidur's device names and the built-in spec of each. */
    static final Map<String, String> SPECS = Map.of("a100", "a100-80gb-sxm", "h100", "h100-sxm", "a40", "a40");

    private Fidelity() {}

    /** One measured point and what the model gives for it. */
    public record Point(String label, double x, double measuredSec, double simulatedSec) {
        public double errorPct() { return 100 * Math.abs(simulatedSec - measuredSec) / measuredSec; }
    }

    /**
     * One comparison.
     *
     * @param id        short id, e.g. {@code pre-a100-llama2}
     * @param op        the op group (PRE, POST, GPU_DECODE_ATTN, PREFILL_ATTN)
     * @param device    Vidur's device name
     * @param model     Vidur's model name
     * @param kernel    the kernel measured (attention backend, or "cuBLAS + elementwise" for PRE/POST)
     * @param heldOut   which points were held out of the fit
     * @param spec      the hardware spec the model ran on
     * @param xTitle    what {@link Point#x()} is
     * @param targetPct the MAPE target
     * @param points    the held-out points
     */
    public record Comparison(String id, Op op, String device, String model, String kernel, String heldOut, String spec,
                             String xTitle, double targetPct, List<Point> points) {
        public double mapePct() {
            return points.stream().mapToDouble(Point::errorPct).average().orElse(Double.NaN);
        }

        public double maxErrorPct() { return points.stream().mapToDouble(Point::errorPct).max().orElse(Double.NaN); }

        public boolean meetsTarget() { return mapePct() <= targetPct; }
    }

    /** Every comparison, in the order docs/fidelity.md lists them. */
    public static List<Comparison> all() {
        List<MlpRow> mlp = OperatorProfiles.mlp();
        List<AttentionRow> attention = OperatorProfiles.attention();
        FittedParameters fits = FittedParameters.load();
        List<Comparison> out = new ArrayList<>();
        for (String device : List.of("a100", "h100", "a40")) {
            HardwareSpec spec = HardwareSpecs.builtIn(SPECS.get(device));
            List<MlpRow> rows = mlp.stream().filter(r -> r.device().equals(device) && r.model().equals(LLAMA2) && r.repeat() == 0)
                    .sorted(Comparator.comparingInt(MlpRow::tokens)).toList();
            List<MlpRow> test = new ArrayList<>();
            for (int i = 1; i < rows.size(); i += 3) test.add(rows.get(i));
            String held = "every third token count (" + test.size() + " of " + rows.size() + ")";
            out.add(linear(Op.PRE, device, LLAMA2, spec, held, test));
            out.add(linear(Op.POST, device, LLAMA2, spec, held, test));
            if (device.equals("a100")) {
                List<MlpRow> l3 = mlp.stream().filter(r -> r.device().equals(device) && r.model().equals(LLAMA3) && r.repeat() == 0).toList();
                String unseen = "all " + l3.size() + " token counts (model never fitted)";
                out.add(linear(Op.PRE, device, LLAMA3, spec, unseen, l3));
                out.add(linear(Op.POST, device, LLAMA3, spec, unseen, l3));
            }
        }
        out.add(decode(attention, fits, "a100", LLAMA2, "FLASH_ATTENTION", Set.of(128, 1088, 3968)));
        out.add(decode(attention, fits, "a100", LLAMA3, "FLASHINFER", Set.of(1408)));
        out.add(decode(attention, fits, "a40", LLAMA2, "FLASH_ATTENTION", Set.of(128, 3968)));
        out.add(prefill(attention, fits, "a100", LLAMA2, "FLASH_ATTENTION", Set.of(112, 288, 544, 1856, 3456)));
        out.add(prefill(attention, fits, "a100", LLAMA3, "FLASHINFER", Set.of(3584, 3840, 4096, 4480, 4864)));
        out.add(prefill(attention, fits, "a40", LLAMA2, "FLASH_ATTENTION", Set.of(480, 1856)));
        return out;
    }

    private static Comparison linear(Op op, String device, String model, HardwareSpec spec, String heldOut, List<MlpRow> rows) {
        RooflineCostModel cost = new RooflineCostModel(spec, MODELS.get(model));
        List<String> ops = op == Op.PRE ? PRE_OPS : POST_OPS;
        List<Point> points = rows.stream().map(r -> new Point(r.tokens() + " tokens", r.tokens(), r.sum(ops),
                cost.seconds(op, SubtaskFeatures.linear(r.tokens())))).toList();
        return new Comparison(id(op, device, model), op, device, model, "cuBLAS GEMMs + elementwise kernels", heldOut, spec.id(),
                "tokens", PRE_POST_TARGET_PCT, points);
    }

    private static Comparison decode(List<AttentionRow> rows, FittedParameters fits, String device, String model, String backend,
                                     Set<Integer> heldKv) {
        String kernel = device + "/" + model + "/" + backend;
        HardwareSpec base = HardwareSpecs.builtIn(SPECS.get(device));
        HardwareSpec.DecodeAttention fit = fits.decode(kernel);
        boolean builtIn = close(base.gpu().decodeAttention(), fit);
        HardwareSpec spec = builtIn ? base : withGpu(base, base.gpu().withAttention(fit, base.gpu().prefillAttention()));
        RooflineCostModel cost = new RooflineCostModel(spec, MODELS.get(model));
        List<Point> points = rows.stream().filter(r -> !r.prefill() && matches(r, device, model, backend) && heldKv.contains(r.kv()))
                .map(r -> new Point("batch " + r.batch() + ", context " + r.kv(), (double) r.batch() * r.kv(), r.seconds(),
                        cost.seconds(Op.GPU_DECODE_ATTN, SubtaskFeatures.decode(r.batch(), (long) r.batch() * r.kv())))).toList();
        return new Comparison(id(Op.GPU_DECODE_ATTN, device, model), Op.GPU_DECODE_ATTN, device, model, backend,
                "context lengths " + sorted(heldKv), specName(base, builtIn, backend + " decode"), "context tokens in the batch",
                DECODE_TARGET_PCT, points);
    }

    private static Comparison prefill(List<AttentionRow> rows, FittedParameters fits, String device, String model, String backend,
                                      Set<Integer> heldChunks) {
        String kernel = device + "/" + model + "/" + backend;
        HardwareSpec base = HardwareSpecs.builtIn(SPECS.get(device));
        HardwareSpec.PrefillAttention fit = fits.prefill(kernel);
        boolean builtIn = close(base.gpu().prefillAttention(), fit);
        HardwareSpec spec = builtIn ? base : withGpu(base, base.gpu().withAttention(base.gpu().decodeAttention(), fit));
        RooflineCostModel cost = new RooflineCostModel(spec, MODELS.get(model));
        List<Point> points = rows.stream().filter(r -> r.prefill() && matches(r, device, model, backend)
                        && (heldChunks.contains(r.chunk()) || (r.kv() == 0 && r.chunk() % 64 == 32)))
                .map(r -> new Point("chunk " + r.chunk() + ", cached " + r.kv(), SubtaskFeatures.prefillPairs(r.kv(), r.chunk()),
                        r.seconds(), cost.seconds(Op.PREFILL_ATTN, SubtaskFeatures.prefillChunk(r.chunk(), r.kv())))).toList();
        return new Comparison(id(Op.PREFILL_ATTN, device, model), Op.PREFILL_ATTN, device, model, backend,
                "chunk lengths " + sorted(heldChunks) + " and whole prompts of odd multiples of 32 tokens",
                specName(base, builtIn, backend + " prefill"), "attended (query, key) pairs", PREFILL_TARGET_PCT, points);
    }

    private static boolean matches(AttentionRow r, String device, String model, String backend) {
        return r.device().equals(device) && r.model().equals(model) && r.backend().equals(backend);
    }

    private static String id(Op op, String device, String model) {
        String group = switch (op) {
            case PRE -> "pre";
            case POST -> "post";
            case GPU_DECODE_ATTN -> "decode";
            case PREFILL_ATTN -> "prefill";
            default -> throw new IllegalArgumentException("no fidelity comparison for " + op);
        };
        return group + "-" + device + "-" + (model.equals(LLAMA2) ? "llama2-7b" : "llama3-8b");
    }

    private static String specName(HardwareSpec base, boolean builtIn, String kernel) {
        return builtIn ? base.id() : base.id() + " with the fitted " + kernel + " parameters (params.json)";
    }

    private static HardwareSpec withGpu(HardwareSpec s, HardwareSpec.Gpu gpu) {
        return new HardwareSpec(s.id(), s.description(), gpu, s.link(), s.host(), s.sources());
    }

    private static List<Integer> sorted(Set<Integer> s) { return s.stream().sorted().toList(); }

    /** Whether a spec's decode parameters are the fit's, rounded to 5 significant digits as the hardware JSONs store them. */
    static boolean close(HardwareSpec.DecodeAttention a, HardwareSpec.DecodeAttention b) {
        return close(a.fixedUs(), b.fixedUs()) && close(a.perRequestUs(), b.perRequestUs())
                && close(a.bandwidthEfficiency(), b.bandwidthEfficiency());
    }

    static boolean close(HardwareSpec.PrefillAttention a, HardwareSpec.PrefillAttention b) {
        return close(a.fixedUs(), b.fixedUs()) && close(a.prefixEfficiency(), b.prefixEfficiency())
                && close(a.prefixHalfTokens(), b.prefixHalfTokens()) && close(a.causalEfficiency(), b.causalEfficiency())
                && close(a.causalHalfTokens(), b.causalHalfTokens());
    }

    static boolean close(HardwareSpec.Gemm a, HardwareSpec.Gemm b) {
        return close(a.computeEfficiency(), b.computeEfficiency()) && close(a.bandwidthEfficiency(), b.bandwidthEfficiency())
                && close(a.softmaxPower(), b.softmaxPower()) && close(a.floorUs(), b.floorUs());
    }

    static boolean close(HardwareSpec.Elementwise a, HardwareSpec.Elementwise b) {
        return close(a.bandwidthEfficiency(), b.bandwidthEfficiency()) && close(a.floorUs(), b.floorUs());
    }

    private static boolean close(double x, double y) {
        return Math.abs(x - y) <= 5e-5 * Math.max(Math.abs(x), Math.abs(y)) + 1e-12;
    }

    /** One line per comparison, for logs. */
    public static String describe(Comparison c) {
        return String.format(Locale.ROOT, "%-24s %-16s %-20s %4d held-out points  MAPE %5.1f%% (target %.0f%%)  max %5.1f%%  %s",
                c.id(), c.op(), c.kernel(), c.points().size(), c.mapePct(), c.targetPct(), c.maxErrorPct(),
                c.meetsTarget() ? "ok" : "ABOVE TARGET");
    }
}
