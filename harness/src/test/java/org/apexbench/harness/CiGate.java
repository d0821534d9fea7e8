package org.apexbench.harness;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import org.apexbench.reports.JsonFiles;
import picocli.CommandLine;

/**
 * The CI regression gate (docs/testing.md): small simulated settings, the engines and engine variants each one
 * runs, and the mutations that show that every option of every engine changes a compared result. Runs are
 * summary-only (one simulated pass), cached by setting and canonical engine, and run in parallel.
 */
final class CiGate {
    private CiGate() {}

    /**
     * One simulated setting: {@code args} are `apex compare` options; the workload spec carries its own seed, so
     * {@code --seed} only seeds the simulator's jitter stream (used to measure the gate's noise).
     */
    record Setting(String name, String why, List<String> args, List<String> engines) {}

    /**
     * Option {@code option} of gate engine {@code engine} in {@code setting} set to {@code value}, or removed when
     * {@code value} is null (options that are off by default are on in a gate variant; their mutation turns them off).
     */
    record Mutation(String setting, String engine, String option, String value) {
        String mutated() {
            EngineChoice c = EngineChoice.parse(engine, Map.of());
            Map<String, String> o = new TreeMap<>(c.options());
            if (value == null) o.remove(option); else o.put(option, value);
            return canonical(c.engineId(), o);
        }
    }

    static final Setting A10G_SMALL_HOST = new Setting("a10g-small-host",
            "A10G with the 8-vCPU host of a g5.2xlarge (CPU attention ~2-3x slower than on a g5.8xlarge), 400 GPU KV blocks: "
                    + "short chats and long outputs contend for a tight GPU pool, so every engine preempts or swaps, host "
                    + "requests queue behind the slow CPU (APEX's starvation guard matters once its threshold is short) and all three "
                    + "APEX strategies run",
            List.of("--hardware", "a10g-g5.2xlarge", "--model", "llama-3.1-8b", "--gpu-kv-blocks", "400",
                    "--requests", "mixed:sharegpt=0.8,long-output=0.2;count=120,rate=3,seed=1"),
            List.of("gpu-only", "gpu-only[preemption=swap]", "static-hybrid:neo", "static-hybrid:neo[runtime=two-thread]",
                    "static-hybrid:fastdecode", "static-hybrid:offload", "apex", "apex[recalibrate=false]",
                    "apex[amortizedAdmission=true,recalibrate=false]", "apex[recalibrate=false,tpotSloMs=100]"));

    static final Setting T4_SLOW_HOST = new Setting("t4-slow-host",
            "T4 + llama-2-7b with 80 GPU KV blocks and a host whose CPU attention is 2x slower than the profile says "
                    + "(--sim-cpu-slowdown 2): recalibration must learn it; every engine runs its host path",
            List.of("--hardware", "t4-g4dn.4xlarge", "--model", "llama-2-7b", "--gpu-kv-blocks", "80",
                    "--requests", "synthetic:count=60,input=200,output=400,rate=0.5,seed=1", "--sim-cpu-slowdown", "2"),
            List.of("gpu-only", "static-hybrid:neo", "static-hybrid:neo[runtime=two-thread]", "static-hybrid:fastdecode",
                    "static-hybrid:offload", "apex", "apex[recalibrate=false]"));

    static final List<Setting> SETTINGS = List.of(A10G_SMALL_HOST, T4_SLOW_HOST);

    /**
     * Every option of every engine, changed in the setting where it acts. APEX's options other than recalibration are
     * mutated on its recalibrate=false variant: with recalibration APEX feeds measured busy times back into every
     * decision, and a 1e-9 perturbation of the simulated durations moves its latencies by up to tens of percent
     * (noise.json), which would drown the effect of a single option; without it the same perturbation moves nothing.
     */
    static final List<Mutation> MUTATIONS = List.of(
            new Mutation("a10g-small-host", "gpu-only", "preemption", "swap"),
            new Mutation("a10g-small-host", "gpu-only[preemption=swap]", "preemption", "recompute"),
            new Mutation("a10g-small-host", "gpu-only", "frameworkOverhead", "false"),
            new Mutation("a10g-small-host", "gpu-only", "scheduler", "exact"),
            new Mutation("a10g-small-host", "gpu-only", "loop", "swiftllm"),
            new Mutation("a10g-small-host", "static-hybrid:neo", "runtime", "two-thread"),
            new Mutation("a10g-small-host", "static-hybrid:neo[runtime=two-thread]", "runtime", "single-thread"),
            new Mutation("a10g-small-host", "static-hybrid:neo", "launchMs", "0.4"),
            new Mutation("a10g-small-host", "static-hybrid:neo", "runtimeLaunchMs", "0.8"),
            new Mutation("a10g-small-host", "static-hybrid:neo", "hostLoop", "false"),
            new Mutation("t4-slow-host", "apex", "recalibrate", "false"),
            new Mutation("a10g-small-host", "apex[recalibrate=false]", "hostAdmission", "false"),
            new Mutation("a10g-small-host", "apex[recalibrate=false]", "starvationIterations", "1"),
            new Mutation("a10g-small-host", "apex[recalibrate=false]", "pipeline", "false"),
            new Mutation("a10g-small-host", "apex[recalibrate=false]", "neoPacking", "false"),
            new Mutation("a10g-small-host", "apex[recalibrate=false]", "marginPct", "0"),
            new Mutation("a10g-small-host", "apex[recalibrate=false]", "swapInHysteresis", "0.8"),
            new Mutation("a10g-small-host", "apex[amortizedAdmission=true,recalibrate=false]", "amortizedAdmission", null),
            new Mutation("a10g-small-host", "apex[recalibrate=false,tpotSloMs=100]", "tpotSloMs", null),
            new Mutation("a10g-small-host", "apex[recalibrate=false]", "ttftSloMs", "2000"));

    /** The committed baseline: BASELINE/&lt;setting&gt;/&lt;engine slug&gt;/summary.json and BASELINE/&lt;setting&gt;/noise.json. */
    static final Path BASELINE = Path.of("src/test/resources/baseline");
    static final String NOISE = "noise.json";
    /** How the noise is measured: NOISE_RUNS runs with every simulated duration perturbed by a factor ~1 +- NOISE_JITTER. */
    static final double NOISE_JITTER = 1e-9;
    static final int NOISE_RUNS = 6;
    /** A metric's tolerance: its default, raised to NOISE_FACTOR times the largest change the perturbation caused. */
    static final double NOISE_FACTOR = 2;

    static Setting setting(String name) {
        return SETTINGS.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no gate setting " + name));
    }

    static String canonical(String engineId, Map<String, String> options) {
        if (options.isEmpty()) return engineId;
        return engineId + new TreeMap<>(options).entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(",", "[", "]"));
    }

    static String canonical(String label) {
        EngineChoice c = EngineChoice.parse(label, Map.of());
        return canonical(c.engineId(), c.options());
    }

    static Path baseline(Setting s, String engine) {
        return BASELINE.resolve(s.name()).resolve(org.apexbench.reports.ReportedRun.slug(engine)).resolve(JsonFiles.SUMMARY);
    }

    /** Tolerance per metric for {@code engine} in {@code s}: the defaults, raised by the measured noise. */
    static Map<String, Double> tolerances(Map<String, Double> noise) {
        Map<String, Double> t = new LinkedHashMap<>(Regression.DEFAULT_TOLERANCES);
        // the strategy mix is checked per strategy: expand it so each share gets its own measured noise
        double mix = t.remove(Regression.STRATEGY_MIX);
        for (org.apexbench.engine.Strategy st : org.apexbench.engine.Strategy.values()) t.put("strategy_fraction_" + st.name(), mix);
        for (var e : noise.entrySet()) {
            if (t.containsKey(e.getKey())) t.put(e.getKey(), Math.max(t.get(e.getKey()), NOISE_FACTOR * e.getValue()));
        }
        return t;
    }

    /** The checks of a run's summary against the baseline of {@code engine}, with that engine's tolerances. */
    @SuppressWarnings("unchecked")
    static List<Regression.Check> checks(Setting s, String engine, Map<String, Object> run) {
        Map<String, Object> base = JsonFiles.read(baseline(s, engine));
        Map<String, Object> noise = JsonFiles.read(BASELINE.resolve(s.name()).resolve(NOISE));
        Map<String, Double> n = new TreeMap<>();
        if (noise.get(engine) instanceof Map<?, ?> m) ((Map<String, Number>) m).forEach((k, v) -> n.put(k, v.doubleValue()));
        return Regression.checks(engine, withStrategies(base), withStrategies(run), tolerances(n));
    }

    /**
     * Where {@code engine}'s run spec in {@code s} (summary.json's run_spec and SLOs, descriptions aside) differs from
     * its baseline's: numbers of differently defined runs are not compared (as {@code apex regress} refuses them).
     */
    static List<String> specDifferences(Setting s, String engine, Map<String, Object> run) {
        Map<String, Object> b = Regression.spec(JsonFiles.read(baseline(s, engine))), r = Regression.spec(run);
        java.util.Set<String> keys = new java.util.TreeSet<>(b.keySet());
        keys.addAll(r.keySet());
        List<String> out = new ArrayList<>();
        for (String k : keys) {
            String bv = JsonFiles.toCompactJson(b.get(k)), rv = JsonFiles.toCompactJson(r.get(k));
            if (!k.endsWith("_description") && !bv.equals(rv)) out.add(s.name() + " " + engine + ": " + k + " is " + bv + " in the baseline, " + rv + " now");
        }
        return out;
    }

    /** The document with a share for every strategy (summary.json lists only the strategies that ran). */
    static Map<String, Object> withStrategies(Map<String, Object> summary) {
        Map<String, Object> m = new LinkedHashMap<>(summary);
        for (org.apexbench.engine.Strategy st : org.apexbench.engine.Strategy.values()) m.putIfAbsent("strategy_fraction_" + st.name(), 0.0);
        return m;
    }

    // ---- running ----

    @CommandLine.Command(name = "gate")
    static final class Options {
        @CommandLine.Mixin RunOptions run;
    }

    private static final Map<String, EngineRunner.Setup> SETUPS = new ConcurrentHashMap<>();
    private static final Map<String, CompletableFuture<Map<String, Object>>> RUNS = new ConcurrentHashMap<>();
    private static final ExecutorService POOL = Executors.newFixedThreadPool(Math.max(1, Runtime.getRuntime().availableProcessors()),
            r -> {
                Thread t = new Thread(r, "ci-gate");
                t.setDaemon(true);
                return t;
            });

    private static EngineRunner.Setup setup(Setting s, long seed) {
        return SETUPS.computeIfAbsent(s.name() + "#" + seed, k -> {
            Options o = new Options();
            List<String> args = new ArrayList<>(s.args());
            if (seed != 0) args.addAll(List.of("--seed", Long.toString(seed), "--jitter", Double.toString(NOISE_JITTER)));
            new CommandLine(o).parseArgs(args.toArray(String[]::new));
            return EngineRunner.prepare(o.run, CompareCommand.DEFAULT_WORKLOAD);
        });
    }

    /**
     * The summary.json document of {@code engine} in {@code s} (jitter seed 0: the gate's own, unperturbed run),
     * computed once per JVM, on the gate's pool.
     */
    static CompletableFuture<Map<String, Object>> run(Setting s, String engine, long jitterSeed) {
        return RUNS.computeIfAbsent(s.name() + "#" + jitterSeed + "#" + canonical(engine), k -> CompletableFuture.supplyAsync(() -> {
            EngineRunner.Outcome o = EngineRunner.run(setup(s, jitterSeed), engine, null, false);
            return JsonFiles.summaryDocument(o.report());
        }, POOL));
    }

    /** Waits for every run, in order; the first failure is rethrown as is. */
    static <K> Map<K, Map<String, Object>> await(Map<K, CompletableFuture<Map<String, Object>>> runs) {
        Map<K, Map<String, Object>> out = new LinkedHashMap<>();
        for (var e : runs.entrySet()) {
            try {
                out.put(e.getKey(), e.getValue().join());
            } catch (java.util.concurrent.CompletionException ex) {
                if (ex.getCause() instanceof RuntimeException r) throw r;
                throw ex;
            }
        }
        return out;
    }
}
