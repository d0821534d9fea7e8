package org.apexbench.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runs.EngineRuns;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.model.Generator;
import org.apexbench.model.LlamaModel;
import org.apexbench.model.cuda.FixtureParity;
import org.apexbench.model.cuda.GpuCheckArgs;
import org.apexbench.model.ModelSource;
import org.apexbench.engine.real.RealRun;
import org.apexbench.engine.real.RealRunResult;
import org.apexbench.engine.real.TokenForcing;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.BackendUnavailableException;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.HostBridge;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * Every engine on the real model under a GPU KV budget just above one request's need (host offload, swaps,
 * preemption) against an unconstrained gpu-only run of the same requests on the same backend: the check of
 * CudaRealEnginesTest, also runnable without Maven or JUnit from the dist (scripts/gpu-check.sh):
 * {@code RealEngineCheck <fixture-dir> [cuda|cpu]}.
 *
 * <p>Every position of every request is compared, teacher-forced ({@link TokenForcing}): the engine's run commits
 * the reference's token at each position and the check records the token the engine itself produced there, so
 * after a divergence the request goes on from the reference's context and the next positions are still compared.
 * On cuda (fp16) bit-equal tokens cannot be demanded everywhere: host rows attend in fp32 on the CPU and other
 * batch shapes take other GEMM paths, moving logits by up to {@link FixtureParity#LOGIT_TOLERANCE}, more than the
 * fixtures' top-2 margins. So a divergent position passes only where the reference's own logits at that position
 * (same context, one unbatched prefill) put the two tokens within {@link #CUDA_NEAR_TIE} (a near-tie, reported).
 * Lost or corrupted KV moves logits by O(1) and fails. On cpu (fp32) no divergence passes.
 *
 * <p>On a device that enqueues (cuda), the host thread must await each iteration's swap copies before it touches
 * the host pool: the check counts those awaits ({@link FenceCountingBridge}) against the CPU-attention jobs of the
 * iterations that swapped.
 */
public final class RealEngineCheck implements AutoCloseable {
    /** Largest prompt 44 + output 28 = 72 tokens = 5 blocks; the GPU pool gets 6. */
    static final EngineBudgets TIGHT = new EngineBudgets(16, 96, 6, 64, 16);
    static final EngineBudgets ROOMY = new EngineBudgets(16, 1024, 64, 0, 16);
    /** The largest reference top-2 logit gap at which a divergence on cuda is a near-tie (fp16 rounding, not a bug). */
    static final double CUDA_NEAR_TIE = 2 * FixtureParity.LOGIT_TOLERANCE;
    /** cpu (fp32, the same kernels whatever the batch): no divergence is a near-tie. */
    static final double NO_NEAR_TIE = Double.NEGATIVE_INFINITY;
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
     * One engine's outcome: requests whose every position matched the reference, positions compared, near-tie
     * divergences, swap-fence awaits seen and expected, and the first failure (null when it passed).
     */
    record Outcome(String engine, RealRunResult run, int exact, int requests, int positions, List<String> nearTies,
                   int fencesAwaited, int fencesExpected, String failure) {
        @Override public String toString() {
            return String.format("%-4s %-42s %d/%d requests bit-equal, %d positions compared teacher-forced%s%s%s",
                    failure == null ? "PASS" : "FAIL", engine, exact, requests, positions,
                    fencesExpected == 0 ? "" : ", swap fences awaited " + fencesAwaited + "/" + fencesExpected,
                    nearTies.isEmpty() ? "" : ", near-ties " + nearTies, failure == null ? "" : ": " + failure);
        }
    }

    private final DType kvType;
    private final double nearTie;
    private final List<RequestSpec> requests;
    private final Map<String, int[]> reference;
    private final Backend device;
    private final Backend host;
    private final LlamaModel model;

    /** Runs the unconstrained reference of {@link #requests(boolean) greedy requests} on {@code backend} (cuda: fp16 KV; cpu: fp32). */
    RealEngineCheck(String backend, Path fixture) {
        this(backend, fixture, requests(false));
    }

    /** As {@link #RealEngineCheck(String, Path)}, for other requests (the cpu test also samples). */
    RealEngineCheck(String backend, Path fixture, List<RequestSpec> requests) {
        RealRun.checkSupported(backend, backend.equals("cuda") ? DType.F16 : DType.F32);
        this.kvType = backend.equals("cuda") ? DType.F16 : DType.F32;
        this.nearTie = backend.equals("cpu") ? NO_NEAR_TIE : CUDA_NEAR_TIE;
        this.requests = List.copyOf(requests);
        this.device = Backends.open(backend, 1);
        Backend h = null;
        LlamaModel m = null;
        try {
            h = Backends.open("cpu", 1);
            m = new LlamaModel(ModelSource.of(fixture.toString(), 0).load(device), device);
        } catch (RuntimeException | Error e) {
            if (h != null) h.close();
            device.close();
            throw e;
        }
        this.host = h;
        this.model = m;
        RealRunResult ref = run("gpu-only", EngineOptions.NONE, ROOMY);
        if (ref.result().requests().stream().mapToInt(RequestRecord::preemptions).sum() != 0) {
            close();
            throw new IllegalStateException("the reference run must be unconstrained, but it preempted");
        }
        reference = ref.tokens();
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

    /** The largest reference logit gap this check accepts as a near-tie (-infinity on cpu: none). */
    double nearTie() { return nearTie; }

    RealRunResult run(String engine, EngineOptions options, EngineBudgets budgets) {
        return run(engine, options, budgets, TokenForcing.NONE, null);
    }

    /** One run of {@code engine} committing what {@code forcing} chooses, through {@code bridge} (null: the backends' own). */
    RealRunResult run(String engine, EngineOptions options, EngineBudgets budgets, TokenForcing forcing, HostBridge bridge) {
        return RealRun.run(EngineRuns.create(engine, options), model, host, bridge, budgets, PREDICTOR, requests,
                RecordOptions.ALL, kvType, forcing);
    }

    /** Runs {@code engine} under {@link #TIGHT} and compares every position of every request with the reference. */
    Outcome check(String engine, EngineOptions options) {
        return check(engine, options, reference, nearTie);
    }

    /**
     * As {@link #check(String, EngineOptions)} against {@code want} (request id -&gt; tokens), accepting divergences
     * whose reference logit gap is at most {@code nearTieGap}; tests use it to show what the check catches.
     */
    Outcome check(String engine, EngineOptions options, Map<String, int[]> want, double nearTieGap) {
        ReferenceForcing teacher = new ReferenceForcing(want);
        FenceCountingBridge bridge = new FenceCountingBridge(HostBridge.open(device, host));
        boolean enqueues = bridge.enqueues();
        RealRunResult r = run(engine, options, TIGHT, teacher, bridge);
        String label = engine + " " + options.values();
        List<String> ties = new ArrayList<>();
        String failure = teacher.orderFailure;
        for (RequestSpec spec : requests) {
            int offered = teacher.offered.getOrDefault(spec.id(), 0);
            if (failure == null && offered != spec.outputTokens()) {
                failure = spec.id() + ": " + offered + " positions produced, wanted " + spec.outputTokens();
            }
        }
        for (Divergence d : teacher.divergences) {
            double gap = referenceGap(want, d);
            String where = d.request() + " step " + d.step() + " (logit gap " + String.format("%.4f", gap) + ")";
            if (gap <= nearTieGap) {
                ties.add(where);
            } else if (failure == null) {
                failure = d.request() + " diverges at step " + d.step() + ": reference " + d.reference() + ", got " + d.produced()
                        + ", reference logit gap " + gap + (nearTieGap == NO_NEAR_TIE ? "" : " > " + nearTieGap);
            }
        }
        if (failure == null && !r.result().requests().stream().allMatch(RequestRecord::succeeded)) failure = "a request failed";
        int fencesExpected = enqueues ? cpuJobsInSwapIterations(r.result().subtasks()) : 0;
        if (failure == null && bridge.awaited() != fencesExpected) {
            failure = "the host thread awaited the swap fence " + bridge.awaited() + " times, expected " + fencesExpected
                    + " (once per CPU-attention job of an iteration that swapped)";
        }
        long divergent = teacher.divergences.stream().map(Divergence::request).distinct().count();
        int positions = teacher.offered.values().stream().mapToInt(Integer::intValue).sum();
        return new Outcome(label, r, requests.size() - (int) divergent, requests.size(), positions, ties, bridge.awaited(),
                fencesExpected, failure);
    }

    /**
     * CPU-attention jobs of the iterations that swapped KV: each must await its iteration's swap fence before it
     * touches the host pool (on a device that only enqueues the copies).
     */
    static int cpuJobsInSwapIterations(List<SubtaskRecord> subtasks) {
        java.util.Set<Long> swapped = new java.util.HashSet<>();
        for (SubtaskRecord s : subtasks) if (s.op() == Op.SWAP_IN || s.op() == Op.SWAP_OUT) swapped.add(s.iteration());
        int jobs = 0;
        for (SubtaskRecord s : subtasks) if (s.op() == Op.CPU_DECODE_ATTN && swapped.contains(s.iteration())) jobs++;
        return jobs;
    }

    /** Where the engine produced another token than the reference (which was committed instead). */
    record Divergence(String request, int step, int reference, int produced) {}

    /** Teacher forcing with the reference: records every position and each divergence, commits the reference token. */
    private static final class ReferenceForcing implements TokenForcing {
        final Map<String, int[]> want;
        final Map<String, Integer> offered = new HashMap<>();
        final List<Divergence> divergences = new ArrayList<>();
        String orderFailure;

        ReferenceForcing(Map<String, int[]> want) { this.want = want; }

        @Override public int commit(String request, int step, int produced) {
            int expectedStep = offered.getOrDefault(request, 0);
            if (step != expectedStep && orderFailure == null) {
                orderFailure = request + ": position " + step + " produced where " + expectedStep + " was next";
            }
            offered.put(request, expectedStep + 1);
            int[] tokens = want.get(request);
            if (tokens[step] != produced) divergences.add(new Divergence(request, step, tokens[step], produced));
            return tokens[step];
        }
    }

    /** |logit(reference token) - logit(produced)| after prompt + the reference's tokens before the divergence. */
    private double referenceGap(Map<String, int[]> want, Divergence d) {
        float[] last = referenceLogits(spec(d.request()), java.util.Arrays.copyOf(want.get(d.request()), d.step()));
        return Math.abs(last[d.reference()] - last[d.produced()]);
    }

    /** The model's next-token logits after {@code spec}'s prompt and {@code outputs}, as one unbatched prefill. */
    float[] referenceLogits(RequestSpec spec, int[] outputs) {
        int[] context = new int[spec.promptLength() + outputs.length];
        for (int i = 0; i < spec.promptLength(); i++) context[i] = spec.promptToken(i);
        System.arraycopy(outputs, 0, context, spec.promptLength(), outputs.length);
        float[][] logits = new Generator(model, Generator.Options.of(kvType)).prefillLogits(context);
        return logits[context.length - 1];
    }

    private RequestSpec spec(String id) {
        return requests.stream().filter(s -> s.id().equals(id)).findFirst().orElseThrow();
    }

    @Override
    public void close() {
        model.close();
        host.close();
        device.close();
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
                if (!EngineRuns.ids().contains(e.getKey())) continue;
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
