package org.apexbench.harness;

import java.util.Locale;
import java.util.Map;
import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.engine.sim.MeasuredSim;
import org.apexbench.kernels.DType;
import org.apexbench.model.ModelConfig;
import org.apexbench.profiler.metrics.Metrics;
import org.apexbench.profiler.metrics.Summary;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.profiler.table.Profile;
import org.apexbench.reports.ReportedRun;
import org.apexbench.reports.RunRecords;

/**
 * {@code --backend sim --profile FILE} with a profile measured on the cpu or cuda backend: the run simulates that machine
 * ({@link MeasuredSim}) with the model, KV type, threads and pools a real run of the same command line would use, and is
 * refused, naming each differing field, unless the profile was measured for exactly those.
 */
final class MeasuredSimSetup {
    private MeasuredSimSetup() { }

    /** What a measured machine's run uses beside the model: the backends' threads and the KV element type. */
    record Machine(int threads, DType kvType) {}

    /** The model's shape as the profiled backend runs it (activations: fp32 on cpu, fp16 on cuda). */
    static ModelGeometry geometry(RunOptions o, ModelConfig config, DType weightType, Profile profile) {
        DType activations = "cpu".equals(profile.fingerprint().backend()) ? DType.F32 : DType.F16;
        return config.geometry(weightType, EngineRunner.kvType(o.kvDtypeOrDefault()), activations);
    }

    /** Refuses the profile unless a real run of this command line on the profiled machine would accept it. */
    static void check(RunOptions o, ModelConfig config, DType weightType, EngineBudgets budgets, Profile profile) {
        DType kv = EngineRunner.kvType(o.kvDtypeOrDefault());
        var run = org.apexbench.engine.real.RealRun.fingerprint(config, weightType, kv, o.threads, budgets.blockSize());
        MeasuredSim.check(profile, run, o.profile.toString());
    }

    static EngineRunner.Outcome run(EngineRunner.Setup s, String engineLabel, Engine engine, Map<String, String> engineOptions,
                                    CommandProgress progress) {
        int n = s.workload().requests().size();
        if (progress != null) {
            progress.println(String.format(Locale.ROOT, "%s: simulating %d requests (%s) on the machine of a %s profile (%s), model %s ...",
                    engineLabel, n, s.workloadText(), s.profile().fingerprint().backend(), s.profile().fingerprint().hardware(),
                    s.model().name()));
        }
        long t0 = System.nanoTime();
        // every engine at the profile's shared operator speed: one simulated machine (an engine's own is validate's diagnostic)
        RunResult result = MeasuredSim.simulate(engine, engineLabel, s.model(), s.profile(), s.budgets(), s.workload().requests(),
                s.workload().closedLoopConcurrency(), s.seed(), RecordOptions.ALL, progress == null ? null : progress.pass(engineLabel, n));
        double wall = (System.nanoTime() - t0) / 1e9;
        Summary summary = Metrics.summarize(result.requests(), result.iterations(), s.slo(), s.durationClock());
        if (progress != null) {
            progress.println(String.format(Locale.ROOT, "%s: %d/%d requests done, %d iterations, %.1f output tok/s (simulated) in %.1f s wall",
                    engineLabel, summary.completed(), result.requests().size(), result.iterations().size(), summary.outputThroughput(), wall));
        }
        Map<String, Object> spec = EngineRunner.runSpec(s, engine, result, engineOptions);
        spec.put("threads", s.measured().threads());
        spec.put("kv_dtype", s.measured().kvType().name());
        spec.put("profile", "measured on the " + s.profile().fingerprint().backend() + " backend: simulated from its tables and runtime samples");
        ReportedRun report = new ReportedRun(engineLabel, summary,
                new RunRecords(result.requests(), result.iterations(), result.subtasks()), spec, EngineRunner.vllmSetup(s, engine));
        return new EngineRunner.Outcome(report, result, wall, null, null);
    }
}
