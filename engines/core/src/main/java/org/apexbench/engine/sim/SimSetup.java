package org.apexbench.engine.sim;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.KvCapacity;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.profiler.SubtaskTimer;
import org.apexbench.profiler.cost.RooflineCostModel;
import org.apexbench.profiler.hardware.GpuMemory;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.table.Profile;
import org.apexbench.profiler.table.ProfileFingerprint;
import org.apexbench.profiler.table.ProfileSweep;
import org.apexbench.profiler.table.SweepGrid;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Wires a simulated run: the hardware's roofline cost model is the executor's clock; the schedulers'
 * predictor comes from a profile of that same simulated hardware, taken with {@link ProfileSweep}
 * (as `apex profile` would on a real machine) or supplied and checked against the run's fingerprint.
 */
public final class SimSetup {
    /** Default share of host memory given to the host KV pool. */
    public static final double DEFAULT_HOST_KV_FRACTION = 0.5;

    private static final Map<String, Profile> SWEEPS = new ConcurrentHashMap<>();

    private SimSetup() { }

    /** The simulated hardware: the roofline cost model of {@code hw} running {@code model}. */
    public static SubtaskTimer cost(HardwareSpec hw, ModelGeometry model) {
        return new RooflineCostModel(hw, model);
    }

    /** The fingerprint a profile must carry to drive a simulated run of {@code model} on {@code hw}. */
    public static ProfileFingerprint fingerprint(HardwareSpec hw, ModelGeometry model, EngineBudgets budgets) {
        return ProfileFingerprint.forSim(hw, model, budgets.blockSize());
    }

    /**
     * A profile of the simulated hardware, swept once per (hardware, model, budget limits) and cached:
     * the grid covers the budgets' widths, batch sizes and both pools' context capacities.
     */
    public static Profile profile(HardwareSpec hw, ModelGeometry model, EngineBudgets b) {
        String key = hw.hashCode() + "|" + hw.id() + "|" + model + "|" + b;
        return SWEEPS.computeIfAbsent(key, k -> {
            long gpuTokens = (long) b.gpuKvBlocks() * b.blockSize();
            long hostTokens = Math.max(gpuTokens, (long) b.hostKvBlocks() * b.blockSize());
            long maxCopy = Math.max(gpuTokens, hostTokens) * model.kvBytesPerToken();
            SweepGrid grid = SweepGrid.defaults(b.maxTokensPerIteration(), b.maxRunning(), Math.max(32, gpuTokens),
                    Math.max(32, hostTokens), Math.min(model.maxContext(), Math.max(32, b.maxTokensPerIteration())), maxCopy);
            return ProfileSweep.sweep(new RooflineCostModel(hw, model), grid, fingerprint(hw, model, b), "sim sweep of " + hw.id());
        });
    }

    /**
     * Budgets from memory: the GPU KV pool by vLLM's rule ({@link KvCapacity#gpuPool}) at {@code utilization} (NaN: the
     * GPU's default); host KV blocks from {@code hostKvBytes} (negative: the default share of host memory).
     *
     * @throws IllegalArgumentException when the GPU pool holds no block, naming every term
     */
    public static EngineBudgets budgets(ModelGeometry model, HardwareSpec hw, long gpuMemoryCapBytes, double utilization,
                                        long hostKvBytes, int maxRunning, int maxTokensPerIteration) {
        GpuMemory.KvPool gpu = gpuPool(model, hw, gpuMemoryCapBytes, utilization, maxRunning, maxTokensPerIteration);
        long host = hostKvBytes >= 0 ? hostKvBytes : defaultHostKvBytes(hw);
        return EngineBudgets.fromMemory(gpu, hw.id() + " + " + model.name(), host, maxRunning, maxTokensPerIteration);
    }

    /** The host KV pool a simulated run gets unless given one: {@link #DEFAULT_HOST_KV_FRACTION} of the host's memory. */
    public static long defaultHostKvBytes(HardwareSpec hw) { return (long) (hw.host().memoryBytes() * DEFAULT_HOST_KV_FRACTION); }

    /** The GPU KV pool of {@code model} on {@code hw} at {@code utilization} (NaN: the GPU's default utilization). */
    public static GpuMemory.KvPool gpuPool(ModelGeometry model, HardwareSpec hw, long gpuMemoryCapBytes, double utilization,
                                           int maxRunning, int maxTokensPerIteration) {
        double u = Double.isNaN(utilization) ? hw.gpu().defaultMemoryUtilization() : utilization;
        return KvCapacity.gpuPool(model, hw.gpu(), gpuMemoryCapBytes, u, maxRunning, maxTokensPerIteration);
    }
}
