package org.apexbench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.runs.EngineRuns;
import org.apexbench.model.ModelConfig;
import org.apexbench.model.ModelSource;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.DeviceMemory;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.model.ModelGeometry;

/**
 * Memory a run would need, checked before it starts: KV pools against the memory that holds them (the simulated
 * GPU and host of the hardware spec; this machine's memory for a real run), a workload against the JVM's heap. An
 * absurd --gpu-kv-blocks used to allocate 12 TB on cpu, and a huge count died with OutOfMemoryError.
 */
final class Limits {
    private Limits() {}

    /**
     * Heap a workload's requests may need ({@code Workload.bytesNeeded}): half the JVM's, the rest is for the run's
     * iteration records, the reports and the JVM itself.
     */
    static long workloadMemoryBytes() { return Runtime.getRuntime().maxMemory() / 2; }

    /** Sim: the KV pools must fit the spec's GPU memory (less the weights) and its host memory. */
    static void checkSimMemory(ModelGeometry model, HardwareSpec hw, long capBytes, EngineBudgets b) {
        long block = KvCapacity.blockBytes(model, b.blockSize());
        long gpuMem = capBytes > 0 ? Math.min(capBytes, hw.gpu().memoryBytes()) : hw.gpu().memoryBytes();
        long maxGpu = Math.max(0, (gpuMem - model.totalWeightBytes()) / block);
        if (b.gpuKvBlocks() > maxGpu) {
            throw new IllegalArgumentException("--gpu-kv-blocks " + b.gpuKvBlocks() + ": " + pool(b.gpuKvBlocks(), block, model.name())
                    + ", but " + hw.id() + "'s GPU has " + gb(gpuMem) + (capBytes > 0 ? " (--gpu-memory)" : "") + ", of which "
                    + gb(model.totalWeightBytes()) + " hold the weights: at most " + maxGpu + " blocks");
        }
        long maxHost = hw.host().memoryBytes() / block;
        if (b.hostKvBlocks() > maxHost) {
            throw new IllegalArgumentException("--host-kv-blocks " + b.hostKvBlocks() + ": " + pool(b.hostKvBlocks(), block, model.name())
                    + ", but " + hw.id() + "'s host has " + gb(hw.host().memoryBytes()) + ": at most " + maxHost + " blocks");
        }
    }

    /**
     * Real runs: the host KV pool, and on the cpu backend also the "GPU" pool and the activations of the largest
     * iteration (both live in host memory there), must fit this machine's memory. On cuda the weights, the GPU pool
     * and the activations must fit the memory the device reports free ({@link Backends#deviceMemory}), checked before
     * the weights are loaded.
     */
    static void checkRealMemory(String backend, ModelSource source, DType kv, EngineBudgets b) {
        ModelConfig c = source.config();
        long block = KvCapacity.blockBytes(c.geometry(kv, kv), b.blockSize());
        long total = physicalMemoryBytes();
        long host = (long) b.hostKvBlocks() * block;
        boolean cpu = backend.equals("cpu");
        long gpuRole = cpu ? (long) b.gpuKvBlocks() * block : 0;
        long activations = cpu ? activationBytes(c, b, DType.F32) : 0;
        if (host + gpuRole + activations > total) {
            throw new IllegalArgumentException("KV pools and activations need " + gb(host + gpuRole + activations) + " of this machine's "
                    + gb(total) + ": --host-kv-blocks " + b.hostKvBlocks() + " (" + gb(host) + ")"
                    + (cpu ? ", --gpu-kv-blocks " + b.gpuKvBlocks() + " (" + gb(gpuRole) + ", host memory on the cpu backend)"
                    + ", --max-tokens " + b.maxTokensPerIteration() + " (" + gb(activations) + " of activations)" : "")
                    + " at " + block + " bytes per " + b.blockSize() + "-token block of " + c.name() + " (" + kv + " KV)");
        }
        if (backend.equals("cuda")) {
            EngineRuns.checkReal(backend, kv);  // what cuda cannot run is said before the device is asked anything
            checkDeviceMemory(RealDevices.memory("cuda"), c, source.weightType(), kv, b);
        }
    }

    /**
     * cuda: the weights (uploaded as stored), the GPU KV pool and the activations of the largest iteration (fp16)
     * must fit the device's free memory. A necessary bound: the backend's own small buffers come on top.
     */
    static void checkDeviceMemory(DeviceMemory mem, ModelConfig c, DType weightType, DType kv, EngineBudgets b) {
        long block = KvCapacity.blockBytes(c.geometry(kv, kv), b.blockSize());
        long weights = c.geometry(weightType, kv).totalWeightBytes();
        long pool = (long) b.gpuKvBlocks() * block;
        long activations = activationBytes(c, b, DType.F16);
        long need = weights + pool + activations;
        if (need > mem.freeBytes()) {
            long room = mem.freeBytes() - weights - activations;
            throw new IllegalArgumentException("GPU memory: " + c.name() + "'s weights (" + gb(weights) + ", " + weightType + ")"
                    + " + --gpu-kv-blocks " + b.gpuKvBlocks() + " (" + gb(pool) + " at " + block + " bytes per " + b.blockSize()
                    + "-token block, " + kv + " KV) + --max-tokens " + b.maxTokensPerIteration() + " (" + gb(activations)
                    + " of activations) need " + gb(need) + ", but " + mem.device() + " reports " + gb(mem.freeBytes())
                    + " free of " + gb(mem.totalBytes()) + ": " + (room < block ? "the weights and activations alone do not fit"
                    : "at most " + room / block + " blocks"));
        }
    }

    /** Activations of the largest iteration (its tokens and its sequences' logits) in elements of {@code type}. */
    private static long activationBytes(ModelConfig c, EngineBudgets b, DType type) {
        long seqs = Math.min(b.maxRunning(), b.maxTokensPerIteration());
        long perRow = 2L * c.hiddenSize() + 2L * c.qWidth() + 2L * c.kvWidth() + 3L * c.intermediateSize();
        return type.bytes() * ((b.maxTokensPerIteration() + seqs) * perRow + 2 * seqs * (2L * c.hiddenSize() + c.vocabSize()));
    }

    private static String pool(long blocks, long blockBytes, String model) {
        return blocks + " blocks of " + blockBytes + " bytes (" + model + ", 16 tokens each) need " + gb(blocks * (double) blockBytes);
    }

    private static String gb(double bytes) {
        return bytes >= 1e12 ? String.format(Locale.ROOT, "%.1f TB", bytes / 1e12) : String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }

    /** MemTotal of /proc/meminfo; unbounded where there is none (then only the allocation itself can fail). */
    static long physicalMemoryBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable
        }
        return Long.MAX_VALUE;
    }
}
