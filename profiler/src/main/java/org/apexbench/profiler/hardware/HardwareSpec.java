package org.apexbench.profiler.hardware;

import java.util.Map;

/**
 * A GPU, its host link and its host CPU: the numbers the roofline cost model runs on. Loaded from
 * JSON (see {@link HardwareSpecs}); every number of a built-in spec is cited in {@code sources},
 * keyed by its JSON path (e.g. {@code "gpu.memoryBandwidthGBps"}), with our own estimates marked
 * "estimate".
 *
 * @param id          short id, e.g. {@code t4-g4dn.4xlarge}
 * @param description one line for reports
 * @param gpu         the device
 * @param link        the host link (PCIe)
 * @param host        the host CPU and memory the VM gets
 * @param sources     where each number comes from
 */
public record HardwareSpec(String id, String description, Gpu gpu, Link link, Host host, Map<String, String> sources) {
    public HardwareSpec {
        require(id != null && !id.isBlank(), "id", "a non-empty string");
        require(description != null, "description", "a string");
        require(gpu != null, "gpu", "an object");
        require(link != null, "link", "an object");
        require(host != null, "host", "an object");
        sources = sources == null ? Map.of() : Map.copyOf(sources);
    }

    static void require(boolean ok, String field, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("field " + field + ": expected " + expected);
        }
    }

    static double positive(String field, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("field " + field + ": expected a finite number > 0, got " + v);
        }
        return v;
    }

    static double nonNegative(String field, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("field " + field + ": expected a finite number >= 0, got " + v);
        }
        return v;
    }

    static double fraction(String field, double v) {
        if (!(v > 0 && v <= 1)) {
            throw new IllegalArgumentException("field " + field + ": expected a fraction in (0, 1], got " + v);
        }
        return v;
    }

    /**
     * The GPU. Efficiency factors scale the datasheet peaks to what kernels reach: GEMM compute
     * (large prefill GEMMs reach ~70-77% of tensor peak), GEMM bandwidth (decode GEMMs ~75-85% of
     * memory bandwidth), attention bandwidth (paged decode attention) and attention compute
     * (flash-style prefill attention).
     *
     * @param name                          marketing name
     * @param memoryBytes                   device memory (datasheet; engines subtract reservations)
     * @param memoryBandwidthGBps           peak memory bandwidth, GB/s (1e9 bytes)
     * @param fp16TensorTflops              dense fp16 tensor peak, TFLOP/s
     * @param gemmComputeEfficiency         fraction of tensor peak GEMMs reach
     * @param gemmBandwidthEfficiency       fraction of bandwidth memory-bound GEMMs reach
     * @param attentionBandwidthEfficiency  fraction of bandwidth decode attention reaches
     * @param attentionComputeEfficiency    fraction of tensor peak prefill attention reaches
     * @param kernelLaunchUs                cost of one kernel launch, microseconds (charged on the GPU
     *                                      timeline per kernel and on the host launch thread per launch)
     */
    public record Gpu(String name, long memoryBytes, double memoryBandwidthGBps, double fp16TensorTflops,
                      double gemmComputeEfficiency, double gemmBandwidthEfficiency,
                      double attentionBandwidthEfficiency, double attentionComputeEfficiency, double kernelLaunchUs) {
        public Gpu {
            require(name != null && !name.isBlank(), "gpu.name", "a non-empty string");
            positive("gpu.memoryBytes", memoryBytes);
            positive("gpu.memoryBandwidthGBps", memoryBandwidthGBps);
            positive("gpu.fp16TensorTflops", fp16TensorTflops);
            fraction("gpu.gemmComputeEfficiency", gemmComputeEfficiency);
            fraction("gpu.gemmBandwidthEfficiency", gemmBandwidthEfficiency);
            fraction("gpu.attentionBandwidthEfficiency", attentionBandwidthEfficiency);
            fraction("gpu.attentionComputeEfficiency", attentionComputeEfficiency);
            nonNegative("gpu.kernelLaunchUs", kernelLaunchUs);
        }

        public double memoryBandwidthBytesPerSec() { return memoryBandwidthGBps * 1e9; }

        public double fp16TensorFlopsPerSec() { return fp16TensorTflops * 1e12; }

        public double kernelLaunchSec() { return kernelLaunchUs * 1e-6; }
    }

    /**
     * The host link, measured pinned-memory copy bandwidth per direction.
     *
     * @param name          e.g. "PCIe Gen3 x16"
     * @param h2dGBps       host-to-device GB/s
     * @param d2hGBps       device-to-host GB/s
     * @param copyLatencyUs fixed cost per transfer, microseconds
     */
    public record Link(String name, double h2dGBps, double d2hGBps, double copyLatencyUs) {
        public Link {
            require(name != null && !name.isBlank(), "link.name", "a non-empty string");
            positive("link.h2dGBps", h2dGBps);
            positive("link.d2hGBps", d2hGBps);
            nonNegative("link.copyLatencyUs", copyLatencyUs);
        }

        public double h2dBytesPerSec() { return h2dGBps * 1e9; }

        public double d2hBytesPerSec() { return d2hGBps * 1e9; }

        public double copyLatencySec() { return copyLatencyUs * 1e-6; }
    }

    /**
     * The host CPU as the VM sees it. CPU decode attention streams KV from DRAM, so its speed is
     * the bandwidth the VM can pull: {@link #attentionBandwidthBytesPerSec()}.
     *
     * @param cpuModel                 CPU model name
     * @param cores                    physical cores of the VM
     * @param vcpus                    vCPUs of the VM
     * @param socketVcpus              vCPUs of the whole socket the VM is carved from
     * @param socketDramGBps           theoretical DRAM bandwidth of the socket (channels x transfer rate x 8 bytes)
     * @param dramEfficiency           fraction of theoretical a streaming read reaches (STREAM-like)
     * @param perCoreStreamGBps        what one core can stream on its own (outstanding-miss limit)
     * @param perCoreGflops            fp32 flop/s one core sustains in the attention kernel, GFLOP/s
     * @param attentionCallOverheadUs  fixed cost of one CPU attention call (thread fork/join), microseconds
     * @param perRequestOverheadUs     extra cost per request in a call (block-table walk, combine), microseconds
     * @param memoryBytes              host memory of the VM
     */
    public record Host(String cpuModel, int cores, int vcpus, int socketVcpus, double socketDramGBps,
                       double dramEfficiency, double perCoreStreamGBps, double perCoreGflops,
                       double attentionCallOverheadUs, double perRequestOverheadUs, long memoryBytes) {
        public Host {
            require(cpuModel != null && !cpuModel.isBlank(), "host.cpuModel", "a non-empty string");
            positive("host.cores", cores);
            positive("host.vcpus", vcpus);
            positive("host.socketVcpus", socketVcpus);
            require(vcpus <= socketVcpus, "host.vcpus", "at most host.socketVcpus (" + socketVcpus + "), got " + vcpus);
            positive("host.socketDramGBps", socketDramGBps);
            fraction("host.dramEfficiency", dramEfficiency);
            positive("host.perCoreStreamGBps", perCoreStreamGBps);
            positive("host.perCoreGflops", perCoreGflops);
            nonNegative("host.attentionCallOverheadUs", attentionCallOverheadUs);
            nonNegative("host.perRequestOverheadUs", perRequestOverheadUs);
            positive("host.memoryBytes", memoryBytes);
        }

        /**
         * Bandwidth CPU attention gets, bytes/s: the smaller of what the VM's cores can stream
         * ({@code cores * perCoreStreamGBps}) and the VM's share of the socket's sustainable
         * bandwidth ({@code socketDramGBps * dramEfficiency * vcpus / socketVcpus}). The share is
         * proportional to the slice: on a shared host the neighbours' slices use theirs, which is
         * what NEO's gains growing with g5 instance size (12/13/30/79% on 2x/4x/8x/16xlarge) suggest.
         */
        public double attentionBandwidthBytesPerSec() {
            double coreLimit = cores * perCoreStreamGBps;
            double share = socketDramGBps * dramEfficiency * vcpus / socketVcpus;
            return Math.min(coreLimit, share) * 1e9;
        }

        public double flopsPerSec() { return cores * perCoreGflops * 1e9; }

        public double attentionCallOverheadSec() { return attentionCallOverheadUs * 1e-6; }

        public double perRequestOverheadSec() { return perRequestOverheadUs * 1e-6; }
    }

    /**
     * The same hardware with the GPU's memory capped (docs/engines.md#shared-budgets: all engines get the same
     * budget, e.g. a large GPU capped to a T4's 16 GB); the cap is recorded in the description.
     */
    public HardwareSpec withGpuMemoryCap(long bytes) {
        if (bytes <= 0 || bytes > gpu.memoryBytes()) {
            throw new IllegalArgumentException("GPU memory cap must be in (0, " + gpu.memoryBytes() + "] bytes, got " + bytes);
        }
        Gpu g = new Gpu(gpu.name(), bytes, gpu.memoryBandwidthGBps(), gpu.fp16TensorTflops(), gpu.gemmComputeEfficiency(),
                gpu.gemmBandwidthEfficiency(), gpu.attentionBandwidthEfficiency(), gpu.attentionComputeEfficiency(),
                gpu.kernelLaunchUs());
        return new HardwareSpec(id, description + " (GPU memory capped at " + bytes + " bytes)", g, link, host, sources);
    }

    /** The source cited for a JSON path, or null. */
    public String source(String path) { return sources.get(path); }
}
