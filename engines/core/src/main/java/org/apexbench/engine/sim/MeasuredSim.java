package org.apexbench.engine.sim;

import java.util.List;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.predict.ProfilePredictor;
import org.apexbench.engine.runtime.EngineLoop;
import org.apexbench.engine.runtime.Executor;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.profiler.cost.TableCostModel;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.profiler.table.HostAttentionSpeed;
import org.apexbench.profiler.table.IterationCost;
import org.apexbench.profiler.table.MeasuredRuntime;
import org.apexbench.profiler.table.Profile;
import org.apexbench.profiler.table.ProfileFingerprint;
import org.apexbench.workloads.RequestSpec;

/**
 * Simulates the machine a measured profile ({@code apex profile --backend cpu|cuda}) was taken on
 * (docs/validation.md): every subtask lasts what the profile's tables say ({@link TableCostModel}), each device table
 * scaled by how much slower or faster its subtasks ran inside a real calibration run ({@link MeasuredRuntime#inRunTables}); a hand-over of CPU
 * rows to the host-attention thread and of their output back costs half the measured round trip each (charged to the
 * q/k/v and output copies); the two roles slow each other down by the measured contention factors when they share the
 * machine's cores; every iteration starts after the measured per-iteration runtime time (scheduling and bookkeeping
 * outside any subtask; where the profile holds the engine's {@link IterationCost}, this long for the iteration's own
 * composition); every subtask's time is its table's median times a factor drawn, from the run's seed, from
 * the measured noise samples over their median (so a run sums to the measured mean, tail included); an iteration in which
 * both roles of the two-thread runtime run takes its noise and hand-over from the two-thread layer samples instead
 * (where the loaded machine's descheduling lands when both roles share the cores), and, where its device works beside the
 * host's attention (not OFFLOAD_SERIAL), its hand-over from the overlapped layer's samples: the host thread's pickup of a
 * published job charged to the q/k/v copy, the device's resumption after the output to the output copy. Where the profile
 * holds the host attention's in-run speed ({@link HostAttentionSpeed}), a CPU attention runs at its alone ratio over the
 * part of it with no device work beside and at its beside ratio over the rest, in place of the contention pair's CPU side. The LM head runs
 * once per sub-batch over each of its sequences, as the real executor samples. The schedulers
 * predict from the same profile, as in a real run given {@code --profile}.
 */
public final class MeasuredSim {
    private MeasuredSim() { }

    /** Whether {@code p} was measured on a real backend (cpu or cuda) rather than swept over a simulated hardware spec. */
    public static boolean measured(Profile p) { return p != null && !"sim".equals(p.fingerprint().backend()); }

    /**
     * Refuses {@code p} unless it was measured for this run's settings: {@code run} is the fingerprint a real run of the
     * same command line would expect; the machine fields (host, device, driver, CPU) are the profile's own, since the
     * simulator replays that machine wherever it runs. The message names every differing field.
     */
    public static void check(Profile p, ProfileFingerprint run, String origin) {
        ProfileFingerprint f = p.fingerprint();
        ProfileFingerprint expected = new ProfileFingerprint(f.hardware(), f.gpu(), f.driver(), f.cpuModel(), run.threads(),
                run.model(), run.weightDtype(), run.kvDtype(), run.blockSize(), f.backend());
        p.requireFingerprint(expected, origin);
    }

    /**
     * A simulated run of {@code engine} on the machine {@code profile} measured (already {@link #check checked} against the
     * run's settings), with that profile's jitter drawn from {@code seed}; {@code engineLabel} picks the engine's own
     * per-iteration runtime samples where the profile holds them ({@link MeasuredRuntime#of(Profile, String)}).
     */
    public static RunResult simulate(Engine engine, String engineLabel, ModelGeometry geometry, Profile profile, EngineBudgets budgets,
                                     List<RequestSpec> requests, int closedLoopConcurrency, long seed, RecordOptions records,
                                     EngineLoop.Progress progress) {
        try (Executor executor = executor(profile, engineLabel, geometry, budgets, seed, engine.launchSecPerStage())) {
            return new EngineLoop(engine, executor, "sim", geometry, budgets, new ProfilePredictor(profile), records, false)
                    .onProgress(progress).run(requests, closedLoopConcurrency);
        }
    }

    /**
     * The executor of such a run: a {@link SimulatedExecutor} on the measured clock, with the measured jitter and
     * contention, each iteration starting the measured per-iteration runtime time after the loop hands it over.
     */
    public static Executor executor(Profile profile, ModelGeometry geometry, EngineBudgets budgets, long seed, double launchSecPerStage) {
        return executor(profile, MeasuredRuntime.of(profile), null, geometry, budgets, seed, launchSecPerStage);
    }

    /**
     * The executor of engine {@code engineLabel}'s run: as above, with that engine's own per-iteration runtime time where the
     * profile holds it ({@link MeasuredRuntime#of(Profile, String)}), and, where it holds the engine's {@link IterationCost},
     * that time per iteration from the iteration's composition instead.
     */
    public static Executor executor(Profile profile, String engineLabel, ModelGeometry geometry, EngineBudgets budgets, long seed,
                                    double launchSecPerStage) {
        return executor(profile, MeasuredRuntime.of(profile, engineLabel), IterationCost.of(profile, engineLabel), geometry, budgets,
                seed, launchSecPerStage);
    }

    /**
     * As above; {@code cost} (null: none) charges each iteration the engine's runtime time outside subtasks for its own
     * composition instead of the calibration's one median ({@link IterationCost}; docs/validation.md, run 19).
     */
    private static Executor executor(Profile profile, MeasuredRuntime runtime, IterationCost cost, ModelGeometry geometry,
                                     EngineBudgets budgets, long seed, double launchSecPerStage) {
        // the host attention's in-run speed, where measured: its table at the alone ratio, and the beside ratio (over it) in
        // place of the contention pair's CPU side over the part of it with device work beside
        HostAttentionSpeed host = HostAttentionSpeed.of(profile);
        double cpuShared = host == null ? runtime.cpuSharedFactor() : host.besideFactor(runtime.cpuSharedFactor());
        SimulatedExecutor sim = new SimulatedExecutor(geometry, budgets,
                new TableCostModel(HostAttentionSpeed.charged(MeasuredRuntime.inRunTables(profile))), 0, seed, launchSecPerStage)
                .withHeadPerSubBatch()
                .withContention(cpuShared, runtime.deviceSharedFactor()).withMeasuredNoise(MeasuredRuntime.noiseFactors(profile))
                .withHandoff(runtime.handoffSec() / 2)
                .withTwoThreadLoad(MeasuredRuntime.twoThreadNoiseFactors(profile), MeasuredRuntime.twoThreadHostNoiseFactors(profile),
                        runtime.twoThreadWaitSec() / 2);
        if (MeasuredRuntime.overlapMeasured(profile)) sim.withOverlapHandover(runtime.overlapPickupSec(), runtime.overlapReturnSec());
        if (cost != null) {
            return new RuntimeTimeCharged(sim, plan -> cost.seconds(plan.gpuDecodes().size(), plan.cpuDecodes().size(), plan.prefillTokens()));
        }
        if (runtime.iterationSec() == 0) return sim;
        return new RuntimeTimeCharged(sim, plan -> runtime.iterationSec());
    }
}
