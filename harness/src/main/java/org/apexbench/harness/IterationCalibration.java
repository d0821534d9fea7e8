package org.apexbench.harness;

import java.nio.file.Path;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.table.MeasuredRuntime;
import org.apexbench.profiler.table.Profile;
import picocli.CommandLine;

/**
 * The last part of a measured machine's profile: a short real calibration run of gpu-only (its own small workload,
 * not any validated one) whose iterations give the runtime's time outside any subtask (scheduling, batch building,
 * bookkeeping; {@link MeasuredRuntime#ITERATION_SAMPLES}), which no subtask table holds.
 */
final class IterationCalibration {
    static final String WORKLOAD = "synthetic:count=8,input=16,output=16";

    private IterationCalibration() { }

    /**
     * @param profile the machine's profile so far, saved at {@code file} (the calibration run predicts from it); the
     *                calibrated profile replaces it there
     * @param model   checkpoint folder or preset, as the profile was taken on
     */
    static Profile calibrate(Profile profile, Path file, String backend, String model, int threads, String kvDtype, int gpuKvBlocks,
                             int hostKvBlocks, int maxRunning, int maxTokens, long seed) {
        RunOptions o = new RunOptions();
        new CommandLine(o).parseArgs("--backend", backend, "--model", model, "--requests", WORKLOAD, "--seed", Long.toString(seed + 7919),
                "--gpu-kv-blocks", Integer.toString(gpuKvBlocks), "--host-kv-blocks", Integer.toString(hostKvBlocks),
                "--max-running", Integer.toString(maxRunning), "--max-tokens", Integer.toString(maxTokens),
                "--threads", Integer.toString(threads), "--kv-dtype", kvDtype, "--profile", file.toString());
        EngineRunner.Outcome run = EngineRunner.run(EngineRunner.prepare(o, null), "gpu-only", null, false);
        var iterations = run.result().iterations();
        double[] samples = new double[iterations.size()];
        for (int i = 0; i < samples.length; i++) {
            IterationRecord it = iterations.get(i);
            samples[i] = Math.max(1e-9, it.durationSec() - it.gpuBusySec() - it.gpuStallSec());
        }
        Profile calibrated = MeasuredRuntime.withIterationSamples(profile, samples);
        Outputs.saveProfile(calibrated, file);
        return calibrated;
    }
}
