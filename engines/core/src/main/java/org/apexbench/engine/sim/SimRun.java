package org.apexbench.engine.sim;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.predict.ProfilePredictor;
import org.apexbench.engine.runtime.EngineLoop;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskTimer;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.table.Profile;
import org.apexbench.workloads.RequestSpec;

import java.util.List;

/** Entry points that run an engine over a request list on the simulated clock. */
public final class SimRun {
    private SimRun() { }

    /**
     * A simulated run of {@code model} on the simulated hardware {@code hw}: the hardware's roofline cost
     * model is the clock; schedulers predict from {@code profile} (refused unless its fingerprint is this
     * hardware and model), or, when null, from a profile swept over the simulated hardware.
     */
    public static RunResult simulate(Engine engine, ModelGeometry model, HardwareSpec hw, EngineBudgets budgets,
                                     List<RequestSpec> requests, long seed, double jitterSigma, RecordOptions records,
                                     Profile profile) {
        return simulate(engine, model, hw, budgets, requests, 0, seed, jitterSigma, records, profile);
    }

    /** As above; {@code closedLoopConcurrency} &gt; 0 runs the requests as that many closed-loop clients. */
    public static RunResult simulate(Engine engine, ModelGeometry model, HardwareSpec hw, EngineBudgets budgets,
                                     List<RequestSpec> requests, int closedLoopConcurrency, long seed, double jitterSigma,
                                     RecordOptions records, Profile profile) {
        return simulate(engine, model, hw, budgets, requests, closedLoopConcurrency, seed, jitterSigma, records, profile, null);
    }

    /** As above, telling {@code progress} (null: nobody) how many requests have finished. */
    public static RunResult simulate(Engine engine, ModelGeometry model, HardwareSpec hw, EngineBudgets budgets,
                                     List<RequestSpec> requests, int closedLoopConcurrency, long seed, double jitterSigma,
                                     RecordOptions records, Profile profile, EngineLoop.Progress progress) {
        return simulate(engine, model, hw, budgets, requests, closedLoopConcurrency, seed, jitterSigma, records, profile, progress, 1);
    }

    /**
     * As above, with the simulated host's CPU attention {@code cpuSlowdown} times slower than the hardware the
     * profile was swept on (1: as profiled): a noisy neighbour, a throttled host, or a profile gone stale.
     * The schedulers still predict from the profile; only the executor's clock changes.
     */
    public static RunResult simulate(Engine engine, ModelGeometry model, HardwareSpec hw, EngineBudgets budgets,
                                     List<RequestSpec> requests, int closedLoopConcurrency, long seed, double jitterSigma,
                                     RecordOptions records, Profile profile, EngineLoop.Progress progress, double cpuSlowdown) {
        if (!(cpuSlowdown > 0) || Double.isInfinite(cpuSlowdown)) {
            throw new IllegalArgumentException("CPU slowdown must be a positive finite factor, got " + cpuSlowdown);
        }
        var expected = SimSetup.fingerprint(hw, model, budgets);
        Profile p = profile != null ? profile : SimSetup.profile(hw, model, budgets);
        Predictor predictor = ProfilePredictor.checked(p, expected, profile != null ? "supplied to the run" : "swept");
        SubtaskTimer hardware = SimSetup.cost(hw, model);
        SubtaskTimer clock = cpuSlowdown == 1 ? hardware : (op, f) ->
                (op == Op.CPU_DECODE_ATTN ? cpuSlowdown : 1) * hardware.seconds(op, f);
        try (SimulatedExecutor executor = new SimulatedExecutor(model, budgets, clock,
                jitterSigma, seed, engine.launchSecPerStage(), engine.hostLoop())) {
            return new EngineLoop(engine, executor, "sim", model, budgets, predictor, records, false)
                    .onProgress(progress).run(requests, closedLoopConcurrency);
        }
    }

    /** {@link #simulate(Engine, ModelGeometry, HardwareSpec, EngineBudgets, List, long, double, RecordOptions, Profile)}
     * with a swept profile, no jitter and iteration records only. */
    public static RunResult simulate(Engine engine, ModelGeometry model, HardwareSpec hw, EngineBudgets budgets,
                                     List<RequestSpec> requests, long seed) {
        return simulate(engine, model, hw, budgets, requests, seed, 0, RecordOptions.DEFAULT, null);
    }

    /**
     * A simulated run.
     *
     * @param hardware   the simulated hardware's subtask times (the executor's clock)
     * @param predictor  what the schedulers know about time: built from profile tables of the same
     *                   simulated hardware (never read from {@code hardware} directly in a real run)
     * @param jitterSigma log-normal run-to-run noise on every subtask (0 = none)
     */
    public static RunResult simulate(Engine engine, ModelGeometry geometry, SubtaskTimer hardware, Predictor predictor,
                                     EngineBudgets budgets, List<RequestSpec> requests, long seed, double jitterSigma,
                                     RecordOptions records) {
        try (SimulatedExecutor executor = new SimulatedExecutor(geometry, budgets, hardware, jitterSigma, seed,
                engine.launchSecPerStage(), engine.hostLoop())) {
            return new EngineLoop(engine, executor, "sim", geometry, budgets, predictor, records, false).run(requests);
        }
    }
}
