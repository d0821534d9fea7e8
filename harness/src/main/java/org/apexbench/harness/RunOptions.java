package org.apexbench.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.metrics.DurationClock;
import org.apexbench.profiler.metrics.Slo;
import picocli.CommandLine.Option;

/** Options every engine-running command shares (run, compare, sweep). Defaults are the default comparison of `./apex compare` (README.md). */
final class RunOptions {
    static final String DEFAULT_MODEL = "llama-2-7b";
    static final String DEFAULT_HARDWARE = "t4-g4dn.4xlarge";

    @Option(names = "--backend", defaultValue = "sim", paramLabel = "sim|cpu|cuda",
            description = "Where the engines execute (default ${DEFAULT-VALUE}). sim: virtual clock driven by the "
                    + "hardware spec's cost model; deterministic for a seed. cpu: the real model on the CPU with the "
                    + "two-thread runtime (needs --gpu-kv-blocks and --host-kv-blocks; tiny presets or a checkpoint). "
                    + "cuda: the real model on the GPU (fp16, JCuda) with CPU attention on this host, same two-thread runtime "
                    + "and options as cpu (KV dtype f16); fails, saying why, where no CUDA GPU and driver are usable.")
    String backend;

    @Option(names = "--model", defaultValue = DEFAULT_MODEL, paramLabel = "PRESET|DIR",
            description = "Model preset (llama-2-7b, llama-3.1-8b, llama-3.2-1b, tiny-llama2, tiny-llama3) or a "
                    + "checkpoint folder (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--hardware", defaultValue = DEFAULT_HARDWARE, paramLabel = "SPEC",
            description = "Simulated hardware: a built-in spec id or a spec JSON file (default ${DEFAULT-VALUE}). "
                    + "Built-in: ${COMPLETION-CANDIDATES}", completionCandidates = HardwareIds.class)
    String hardware;

    @Option(names = "--gpu-kv-blocks", paramLabel = "N", description = "GPU KV pool size in 16-token blocks "
            + "(default: vLLM's rule: the GPU memory the driver reports x --gpu-memory-utilization, less the weights, the "
            + "CUDA context and the activation peak of --max-tokens over --max-running sequences; the run spec shows the "
            + "derivation, docs/fidelity.md#gpu-memory).")
    Integer gpuKvBlocks;

    @Option(names = "--gpu-memory-utilization", paramLabel = "F", description = "Fraction of the GPU memory the engines "
            + "may use, as vLLM's gpu_memory_utilization (default: the GPU's, 0.9 as vLLM's, 0.99 on the T4, where 0.9 "
            + "leaves Llama-2-7B no KV block).")
    Double gpuMemoryUtilization;

    @Option(names = "--host-kv-blocks", paramLabel = "N", description = "Host KV pool size in blocks "
            + "(default: half the host memory).")
    Integer hostKvBlocks;

    @Option(names = "--gpu-memory", paramLabel = "GB", description = "Cap the GPU memory all engines may use, in GB "
            + "(e.g. 16 to give an A100 a T4's budget).")
    Double gpuMemoryGb;

    @Option(names = "--max-running", defaultValue = "512", paramLabel = "N", description = "Most requests holding KV at once.")
    int maxRunning;

    @Option(names = "--max-tokens", defaultValue = "2048", paramLabel = "N", description = "Most tokens per iteration.")
    int maxTokens;

    @Option(names = "--requests", paramLabel = "SPEC|FILE", description = {
            "Workload: a spec such as synthetic:count=200,input=512,output=256,rate=4 or long-output:count=100,rate=2 "
                    + "or mixed:chat=0.5,cot=0.3,long-output=0.2;count=500,rate=4 or trace:splitwise_conv,limit=500, "
                    + "or a workload file (.jsonl/.csv). Kinds: chat, sharegpt, long-output, cot, mixed, synthetic, "
                    + "trace, file. Options: count, seed, rate, cv, concurrency, arrival, temperature, top_p, ..."})
    String requests;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S",
            description = "Run seed: the workload's (unless the spec sets seed=) and the simulator's jitter stream.")
    long seed;

    @Option(names = "--jitter", defaultValue = "0", paramLabel = "SIGMA",
            description = "Log-normal run-to-run noise on every simulated subtask (0 = none).")
    double jitter;

    @Option(names = "--sim-cpu-slowdown", defaultValue = "1", paramLabel = "F",
            description = "Sim only: the simulated host runs CPU attention F times slower than the profile the schedulers "
                    + "predict from (a noisy neighbour or a stale profile; 1 = as profiled). See apex's recalibrate option.")
    double simCpuSlowdown = 1;   // also when RunOptions is built in code (reproduce), not parsed

    @Option(names = "--profile", paramLabel = "FILE", description = "Profile the schedulers predict from "
            + "(default: swept over the simulated hardware, as `apex profile` does). Refused if its fingerprint differs.")
    Path profile;

    @Option(names = "--engine-option", paramLabel = "KEY=VALUE", description = "Engine option, repeatable "
            + "(e.g. preemption=swap for gpu-only; `apex engines` lists every engine's options).")
    Map<String, String> engineOptions = new LinkedHashMap<>();

    @Option(names = "--traces", paramLabel = "DIR", description = "Folder of the request traces (for trace:... workloads).")
    Path traces;

    @Option(names = "--slo-ttft-ms", paramLabel = "MS", description = "TTFT objective for goodput.")
    Double sloTtftMs;

    @Option(names = "--slo-tpot-ms", paramLabel = "MS", description = "TPOT objective for goodput.")
    Double sloTpotMs;

    @Option(names = "--slo-e2el-ms", paramLabel = "MS", description = "End-to-end latency objective for goodput.")
    Double sloE2elMs;

    @Option(names = "--duration-clock", defaultValue = "first-arrival", paramLabel = "first-arrival|schedule-origin",
            description = {"Where the benchmark duration, the denominator of every throughput, starts: at the first "
                    + "request's arrival (default) or at the schedule origin t = 0, before request 0's arrival delay, as "
                    + "vLLM's current bench serve measures it. Both end at the last request's return (docs/metrics.md)."})
    String durationClock = "first-arrival";   // also when RunOptions is built in code (reproduce), not parsed

    DurationClock durationClock() {
        try {
            return DurationClock.parse(durationClock);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--duration-clock: " + e.getMessage(), e);
        }
    }

    @Option(names = "--all-subtasks", description = "Keep every subtask record and write all of them to subtasks.csv "
            + "(default: the report's timeline window only).")
    boolean allSubtasks;

    @Option(names = "--quiet", description = "No progress lines on stderr.")
    boolean quiet;

    @Option(names = "--threads", defaultValue = DEFAULT_THREADS, paramLabel = "N",
            description = "cpu backend: worker threads of each of its two backends (0 = all processors).")
    int threads;

    /**
     * --threads' default in every command that runs or profiles the real model (run, compare, sweep, profile, serve):
     * the thread count enters the profile fingerprint, so a profile written with the defaults drives a run with them.
     */
    static final String DEFAULT_THREADS = "0";

    @Option(names = "--kv-dtype", paramLabel = "f32|f16|bf16",
            description = "Real runs: KV element type (default: f32 on cpu, f16 on cuda, whose kernels keep KV in fp16).")
    String kvDtype;

    /** The KV element type a real run on {@link #backend} uses: --kv-dtype, else the backend's own default. */
    String kvDtypeOrDefault() { return kvDtypeOrDefault(kvDtype, backend); }

    /**
     * {@code kvDtype} if given, else {@code backend}'s default (f16 on cuda, whose kernels keep KV in fp16, f32 on cpu):
     * the one rule for every command, since the KV type enters the profile fingerprint.
     */
    static String kvDtypeOrDefault(String kvDtype, String backend) {
        return kvDtype != null ? kvDtype : backend.equals("cuda") ? "f16" : "f32";
    }

    @Option(names = "--save-tokens", description = "cpu backend: also write tokens.jsonl (generated ids per request).")
    boolean saveTokens;

    static final class HardwareIds implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() { return HardwareSpecs.ids().iterator(); }
    }

    /** Upper bound of --threads: more workers than 4 per processor only measure the OS scheduler. */
    static int maxThreads() { return 4 * Runtime.getRuntime().availableProcessors(); }

    /** --threads (or another command's thread option) in [0, {@link #maxThreads()}]. */
    static void checkThreads(String option, int threads) {
        if (threads < 0 || threads > maxThreads()) {
            throw new IllegalArgumentException(option + " must be between 0 (all processors) and " + maxThreads()
                    + " (4 per processor of this machine's " + Runtime.getRuntime().availableProcessors() + "), got " + threads);
        }
    }

    /** {@code value} finite and in [lo, hi] (hi may be infinite: no upper bound), else an error naming the option. */
    static void checkRange(String option, double value, double lo, double hi, String what) {
        if (!Double.isFinite(value) || value < lo || value > hi) {
            throw new IllegalArgumentException(option + " must be " + what + ", got " + value);
        }
    }

    /** As {@link #checkRange(String, double, double, double, String)} for a count, which the message shows as one. */
    static void checkRange(String option, int value, int lo, int hi, String what) {
        if (value < lo || value > hi) throw new IllegalArgumentException(option + " must be " + what + ", got " + value);
    }

    /**
     * Every option's own range, checked before any work (each message names the option and the limit); what depends
     * on the model and hardware (KV blocks against memory) is checked once they are known (EngineRunner.prepare).
     */
    void validate() {
        if (!backend.equals("sim") && !backend.equals("cpu") && !backend.equals("cuda")) {
            throw new IllegalArgumentException("--backend: expected sim, cpu or cuda, got '" + backend + "'");
        }
        checkRange("--jitter", jitter, 0, 3, "a log-normal sigma in [0, 3] (3 already spreads subtask times 20x either way)");
        checkRange("--sim-cpu-slowdown", simCpuSlowdown, 1e-3, 1e3, "a positive factor in [0.001, 1000]");
        if (simCpuSlowdown != 1 && !backend.equals("sim")) {
            throw new IllegalArgumentException("--sim-cpu-slowdown applies to --backend sim only (a real host is as slow as it is)");
        }
        if (gpuMemoryGb != null) checkRange("--gpu-memory", gpuMemoryGb, 1e-3, 1e6, "a GPU memory cap in GB, > 0 and finite");
        if (gpuMemoryUtilization != null) checkRange("--gpu-memory-utilization", gpuMemoryUtilization, 1e-3, 1, "a fraction in (0, 1]");
        if (gpuKvBlocks != null && gpuKvBlocks < 0) throw new IllegalArgumentException("--gpu-kv-blocks must be >= 0, got " + gpuKvBlocks);
        if (hostKvBlocks != null && hostKvBlocks < 0) throw new IllegalArgumentException("--host-kv-blocks must be >= 0, got " + hostKvBlocks);
        if (maxRunning < 1) throw new IllegalArgumentException("--max-running must be >= 1, got " + maxRunning);
        if (maxTokens < 1) throw new IllegalArgumentException("--max-tokens must be >= 1, got " + maxTokens);
        for (var slo : new Object[][] {{"--slo-ttft-ms", sloTtftMs}, {"--slo-tpot-ms", sloTpotMs}, {"--slo-e2el-ms", sloE2elMs}}) {
            if (slo[1] != null) checkRange((String) slo[0], (Double) slo[1], Double.MIN_VALUE, Double.MAX_VALUE, "a latency in ms, > 0 and finite");
        }
        checkThreads("--threads", threads);
    }

    void checkSaveTokens() {
        if (saveTokens && !backend.equals("cpu")) {
            throw new IllegalArgumentException("--save-tokens needs a real backend (--backend cpu): " + backend
                    + " computes no tokens");
        }
    }

    /** The SLOs for goodput; an absent one is NaN (not checked), never a NaN the user gave (validate refuses that). */
    Slo slo() {
        return new Slo(sloTtftMs == null ? Double.NaN : sloTtftMs, sloTpotMs == null ? Double.NaN : sloTpotMs,
                sloE2elMs == null ? Double.NaN : sloE2elMs);
    }

    /** The workload spec text: a file becomes file:PATH; the run seed is added unless the spec has one. */
    String workloadText(String defaultSpec) {
        String text = requests != null ? requests.strip() : defaultSpec;
        if (text == null) throw new IllegalArgumentException("--requests is required (a workload spec or a workload file)");
        if (!text.contains(":") && Files.isRegularFile(Path.of(text))) text = "file:" + text;
        return withSeed(text, seed);
    }

    static String withSeed(String text, long seed) {
        if (text.matches("(?s).*\\bseed\\s*=.*")) return text;
        if (text.startsWith("mixed")) return text + (text.contains(";") ? ",seed=" : ";seed=") + seed;
        return text + (text.contains(":") ? ",seed=" : ":seed=") + seed;
    }
}
