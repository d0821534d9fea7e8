package org.apexbench.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.model.Generator;
import org.apexbench.model.LlamaModel;
import org.apexbench.model.LlamaWeights;
import org.apexbench.model.cuda.FixtureParity;
import org.apexbench.model.cuda.GpuCheckArgs;
import org.apexbench.engine.real.RealRun;
import org.apexbench.engine.real.RealRunResult;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.BackendUnavailableException;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * Every engine on the real model under a GPU KV budget just above one request's need (host offload, swaps,
 * preemption) against an unconstrained gpu-only run of the same requests on the same backend: the check of
 * CudaRealEnginesTest, also runnable without Maven or JUnit from the dist (scripts/gpu-check.sh):
 * {@code RealEngineCheck <fixture-dir> [cuda|cpu]}.
 *
 * <p>On cuda (fp16) bit-equal tokens cannot be demanded everywhere: host rows attend in fp32 on the CPU and
 * other batch shapes take other GEMM paths, moving logits by up to {@link FixtureParity#LOGIT_TOLERANCE},
 * more than the fixtures' top-2 margins. So a request passes when it gives the reference tokens, or first
 * diverges where the reference's own teacher-forced logits put the two tokens within 2 x tolerance (a
 * near-tie, reported). Lost or corrupted KV moves logits by O(1) and fails. On cpu (fp32) ties are exact.
 */
public final class RealEngineCheck implements AutoCloseable {
    /** Largest request: prompt 44 + output 28 = 72 tokens = 5 blocks; the GPU pool gets 6. */
    static final EngineBudgets TIGHT = new EngineBudgets(16, 96, 6, 64, 16);
    static final EngineBudgets ROOMY = new EngineBudgets(16, 1024, 64, 0, 16);
    /** The engines and options every check runs (the same list as the cpu test). */
    static final List<Map.Entry<String, EngineOptions>> ENGINES = List.of(
            Map.entry("gpu-only", EngineOptions.of("preemption", "recompute")),
            Map.entry("gpu-only", EngineOptions.of("preemption", "swap")),
            Map.entry("static-hybrid:neo", EngineOptions.of("runtime", "two-thread")),
            Map.entry("static-hybrid:neo", EngineOptions.of("runtime", "single-thread")),
            Map.entry("static-hybrid:fastdecode", EngineOptions.NONE),
            Map.entry("static-hybrid:offload", EngineOptions.NONE),
            Map.entry("apex", EngineOptions.NONE));
    /** Linear time dominates and the "GPU" attends 10x faster than the CPU: hybrid dispatch pays (as on a T4). */
    static final Predictor PREDICTOR = Predictor.of((op, f) -> switch (op) {
        case PRE, POST -> 5e-4 + 1e-6 * f.rows();
        case EMBED, LM_HEAD -> 1e-5 + 1e-7 * f.rows();
        case PREFILL_ATTN -> 1e-5 + 1e-9 * f.prefillPairs();
        case GPU_DECODE_ATTN -> 5e-6 + 1e-8 * f.contextTokens();
        case CPU_DECODE_ATTN -> 1e-5 + 1e-7 * f.contextTokens();
        case QKV_D2H, ATTN_OUT_H2D, SWAP_IN, SWAP_OUT -> 1e-5 * Math.max(1, f.requests()) + f.bytes() / 10e9;
        case LAUNCH -> 1e-4;
    });

    /**
     * One engine's outcome: requests bit-equal to the reference, near-tie divergences, and the first failure
     * (null when it passed).
     */
    record Outcome(String engine, RealRunResult run, int exact, int requests, List<String> nearTies, String failure) {
        @Override public String toString() {
            return String.format("%-4s %-42s %d/%d requests bit-equal%s%s", failure == null ? "PASS" : "FAIL", engine, exact, requests,
                    nearTies.isEmpty() ? "" : ", near-ties " + nearTies, failure == null ? "" : ": " + failure);
        }
    }

    private final String backend;
    private final Path fixture;
    private final DType kvType;
    private final List<RequestSpec> requests;
    private final Map<String, int[]> reference;
    private final Backend teacherBackend;
    private final LlamaModel teacher;

    /** Runs the unconstrained reference of {@link #requests(boolean) greedy requests} on {@code backend} (cuda: fp16 KV; cpu: fp32). */
    RealEngineCheck(String backend, Path fixture) {
        this(backend, fixture, requests(false));
    }

    /** As {@link #RealEngineCheck(String, Path)}, for other requests (the cpu test also samples). */
    RealEngineCheck(String backend, Path fixture, List<RequestSpec> requests) {
        this.backend = backend;
        this.fixture = fixture;
        this.kvType = backend.equals("cuda") ? DType.F16 : DType.F32;
        this.requests = List.copyOf(requests);
        RealRunResult ref = run("gpu-only", EngineOptions.NONE, ROOMY);
        if (ref.result().requests().stream().mapToInt(RequestRecord::preemptions).sum() != 0) {
            throw new IllegalStateException("the reference run must be unconstrained, but it preempted");
        }
        reference = ref.tokens();
        teacherBackend = Backends.open(backend, 1);
        teacher = new LlamaModel(LlamaWeights.load(fixture, teacherBackend), teacherBackend);
    }

    /**
     * Ten seeded requests of 20..44 prompt tokens and 8..28 output tokens (the largest fits {@link #TIGHT}'s GPU
     * pool with one block to spare); with {@code sampleEveryThird} every third one samples (seeded
     * temperature/top-p, so its draws must not depend on batching either), otherwise all are greedy.
     */
    static List<RequestSpec> requests(boolean sampleEveryThird) {
        SplittableRandom rnd = new SplittableRandom(7);
        List<RequestSpec> list = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            int[] prompt = rnd.ints(20 + rnd.nextInt(25), 3, 640).toArray();
            SamplingParams sampling = sampleEveryThird && i % 3 == 0 ? new SamplingParams(0.8f, 0.95f, 1000 + i) : SamplingParams.GREEDY;
            list.add(new RequestSpec("r" + i, 0, prompt, 8 + rnd.nextInt(21), sampling));
        }
        return List.copyOf(list);
    }

    List<RequestSpec> requests() { return requests; }

    /** The unconstrained run's tokens by request id. */
    Map<String, int[]> reference() { return reference; }

    RealRunResult run(String engine, EngineOptions options, EngineBudgets budgets) {
        return RealRun.run(EngineRegistry.create(engine, options), backend, 1, RealRun.checkpoint(fixture), budgets, PREDICTOR,
                requests, RecordOptions.ALL, kvType);
    }

    /** Runs {@code engine} under {@link #TIGHT} and compares every request with the reference. */
    Outcome check(String engine, EngineOptions options) {
        RealRunResult r = run(engine, options, TIGHT);
        String label = engine + " " + options.values();
        int exact = 0;
        List<String> ties = new ArrayList<>();
        String failure = null;
        for (RequestSpec spec : requests) {
            int[] want = reference.get(spec.id()), got = r.tokens().get(spec.id());
            if (got.length != spec.outputTokens()) {
                if (failure == null) failure = spec.id() + ": " + got.length + " tokens, wanted " + spec.outputTokens();
                continue;
            }
            int step = 0;
            while (step < want.length && want[step] == got[step]) step++;
            if (step == want.length) {
                exact++;
                continue;
            }
            double gap = teacherForcedGap(spec, want, step, got[step]);
            String where = spec.id() + " step " + step + " (logit gap " + String.format("%.4f", gap) + ")";
            if (!backend.equals("cpu") && gap <= 2 * FixtureParity.LOGIT_TOLERANCE) {
                ties.add(where);
            } else if (failure == null) {
                failure = spec.id() + " diverges at step " + step + ": reference " + want[step] + ", got " + got[step]
                        + ", teacher-forced logit gap " + gap + (backend.equals("cpu") ? "" : " > " + 2 * FixtureParity.LOGIT_TOLERANCE);
            }
        }
        if (failure == null && !r.result().requests().stream().allMatch(RequestRecord::succeeded)) failure = "a request failed";
        return new Outcome(label, r, exact, requests.size(), ties, failure);
    }

    /** |logit(reference token) - logit(other)| after prompt + the reference's first {@code step} tokens. */
    private double teacherForcedGap(RequestSpec spec, int[] want, int step, int other) {
        int[] context = new int[spec.promptLength() + step];
        for (int i = 0; i < spec.promptLength(); i++) context[i] = spec.promptToken(i);
        System.arraycopy(want, 0, context, spec.promptLength(), step);
        float[][] logits = new Generator(teacher, Generator.Options.of(kvType)).prefillLogits(context);
        float[] last = logits[context.length - 1];
        return Math.abs(last[want[step]] - last[other]);
    }

    @Override
    public void close() {
        teacher.close();
        teacherBackend.close();
    }

    /** {@code RealEngineCheck <fixture-dir> [cuda|cpu]}: exit 0 all pass, 1 a failure, 2 backend unavailable or no fixture. */
    public static void main(String[] args) {
        GpuCheckArgs parsed = GpuCheckArgs.parse(args, "RealEngineCheck <fixture-dir (e.g. testdata/models/tiny-llama3)>");
        Path dir = parsed.fixture();
        String backend = parsed.backend();
        if (!Files.isDirectory(dir)) {
            System.err.println("RealEngineCheck: fixture " + dir + " not present");
            System.exit(2);
        }
        int failures = 0;
        try (RealEngineCheck check = new RealEngineCheck(backend, dir)) {
            for (var e : ENGINES) {
                if (!EngineRegistry.ids().contains(e.getKey())) continue;
                Outcome o = check.check(e.getKey(), e.getValue());
                System.out.println(o);
                if (o.failure() != null) failures++;
            }
        } catch (BackendUnavailableException e) {
            System.err.println("RealEngineCheck: " + e.getMessage());
            System.exit(2);
        }
        System.out.println("real engines on " + backend + ": " + (failures == 0 ? "all passed" : failures + " failed"));
        System.exit(failures == 0 ? 0 : 1);
    }
}
