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
     * The GPU: datasheet peaks and the fitted parameters of the kernel-level cost model (docs/fidelity.md). Times a
     * GPU op takes are GPU time (what CUDA events measure); the host's cost of launching kernels is
     * {@code kernelLaunchUs}, charged only where a runtime model launches from a host thread (Op.LAUNCH).
     *
     * @param name                marketing name
     * @param memoryBytes         device memory as the driver reports it (cudaMemGetInfo's total, below the datasheet's
     *                            and nvidia-smi's figures): what vLLM's KV-pool rule starts from ({@link GpuMemory})
     * @param defaultMemoryUtilization the gpu_memory_utilization a run uses unless told otherwise (vLLM's 0.9; 0.99
     *                            where 0.9 leaves no room for the models the GPU is used with)
     * @param memoryBandwidthGBps peak memory bandwidth, GB/s (1e9 bytes)
     * @param fp16TensorTflops    dense fp16 tensor peak, TFLOP/s
     * @param gemm                GEMM kernels (the linear layers and the LM head)
     * @param elementwise         elementwise kernels (norms, rotary embedding, activation, residual adds, gathers)
     * @param decodeAttention     paged decode attention
     * @param prefillAttention    prefill attention (whole prompts and chunks after a cached prefix)
     * @param kernelLaunchUs      host-side cost of one kernel launch, microseconds (Op.LAUNCH only, never GPU time)
     */
    public record Gpu(String name, long memoryBytes, double defaultMemoryUtilization, double memoryBandwidthGBps, double fp16TensorTflops,
                      Gemm gemm, Elementwise elementwise, DecodeAttention decodeAttention, PrefillAttention prefillAttention,
                      double kernelLaunchUs) {
        public Gpu {
            require(name != null && !name.isBlank(), "gpu.name", "a non-empty string");
            positive("gpu.memoryBytes", memoryBytes);
            fraction("gpu.defaultMemoryUtilization", defaultMemoryUtilization);
            positive("gpu.memoryBandwidthGBps", memoryBandwidthGBps);
            positive("gpu.fp16TensorTflops", fp16TensorTflops);
            require(gemm != null, "gpu.gemm", "an object");
            require(elementwise != null, "gpu.elementwise", "an object");
            require(decodeAttention != null, "gpu.decodeAttention", "an object");
            require(prefillAttention != null, "gpu.prefillAttention", "an object");
            nonNegative("gpu.kernelLaunchUs", kernelLaunchUs);
        }

        public double memoryBandwidthBytesPerSec() { return memoryBandwidthGBps * 1e9; }

        public double fp16TensorFlopsPerSec() { return fp16TensorTflops * 1e12; }

        public double kernelLaunchSec() { return kernelLaunchUs * 1e-6; }

        /** The same GPU with {@code bytes} of memory. */
        public Gpu withMemoryBytes(long bytes) {
            return new Gpu(name, bytes, defaultMemoryUtilization, memoryBandwidthGBps, fp16TensorTflops, gemm, elementwise, decodeAttention,
                    prefillAttention, kernelLaunchUs);
        }

        /** The same GPU with other attention kernels (e.g. another backend's fitted parameters). */
        public Gpu withAttention(DecodeAttention decode, PrefillAttention prefill) {
            return new Gpu(name, memoryBytes, defaultMemoryUtilization, memoryBandwidthGBps, fp16TensorTflops, gemm, elementwise, decode,
                    prefill, kernelLaunchUs);
        }
    }

    /**
     * One GEMM of {@code n} rows through a K x N weight takes
     * {@code floor + ((2nKN / (peak * computeEff))^p + (2(KN + nK + nN) / (BW * bandwidthEff))^p)^(1/p)}:
     * a soft maximum of the compute and memory bounds, because between the two regimes (~64-512 rows) real GEMMs
     * are slower than either bound; the floor is the shortest GPU time of one GEMM kernel.
     *
     * @param computeEfficiency   fraction of the tensor peak large GEMMs reach
     * @param bandwidthEfficiency fraction of the memory bandwidth weight-streaming GEMMs reach
     * @param softmaxPower        p of the soft maximum (larger: closer to a hard max)
     * @param floorUs             GPU time of the smallest GEMM, microseconds
     */
    public record Gemm(double computeEfficiency, double bandwidthEfficiency, double softmaxPower, double floorUs) {
        public Gemm {
            fraction("gpu.gemm.computeEfficiency", computeEfficiency);
            fraction("gpu.gemm.bandwidthEfficiency", bandwidthEfficiency);
            require(softmaxPower >= 1 && !Double.isInfinite(softmaxPower), "gpu.gemm.softmaxPower", "a finite number >= 1, got " + softmaxPower);
            nonNegative("gpu.gemm.floorUs", floorUs);
        }
    }

    /**
     * One elementwise kernel moving {@code b} bytes takes {@code floor + b / (BW * bandwidthEff)}.
     *
     * @param bandwidthEfficiency fraction of the memory bandwidth these kernels reach
     * @param floorUs             GPU time of the smallest such kernel, microseconds
     */
    public record Elementwise(double bandwidthEfficiency, double floorUs) {
        public Elementwise {
            fraction("gpu.elementwise.bandwidthEfficiency", bandwidthEfficiency);
            nonNegative("gpu.elementwise.floorUs", floorUs);
        }
    }

    /**
     * Paged decode attention of r requests over C context tokens in all takes
     * {@code fixed + perRequest * r + C * kvBytesPerTokenPerLayer / (BW * bandwidthEff)}: the per-request term is
     * what a bandwidth efficiency falling for short contexts amounts to (docs/fidelity.md).
     *
     * @param fixedUs             cost of one call, microseconds
     * @param perRequestUs        cost per request, microseconds
     * @param bandwidthEfficiency fraction of the memory bandwidth streaming long contexts reaches
     */
    public record DecodeAttention(double fixedUs, double perRequestUs, double bandwidthEfficiency) {
        public DecodeAttention {
            nonNegative("gpu.decodeAttention.fixedUs", fixedUs);
            nonNegative("gpu.decodeAttention.perRequestUs", perRequestUs);
            fraction("gpu.decodeAttention.bandwidthEfficiency", bandwidthEfficiency);
        }
    }

    /**
     * Prefill attention of a chunk of c new tokens after k cached ones takes
     * {@code F/peak * (c*k / eP(c) + c(c+1)/2 / eC(c))}, with F the flops of one (query, key) pair,
     * {@code eP(c) = prefixEff * c / (c + prefixHalfTokens)} for the prefix rectangle and
     * {@code eC(c) = causalEff * c / (c + causalHalfTokens)} for the causal triangle; summed over a batch's chunks,
     * plus {@code fixed} once per call.
     *
     * @param fixedUs          cost of one call, microseconds
     * @param prefixEfficiency fraction of the tensor peak the prefix part reaches for long chunks
     * @param prefixHalfTokens chunk length at which the prefix part reaches half of that
     * @param causalEfficiency fraction of the tensor peak the causal part reaches for long chunks
     * @param causalHalfTokens chunk length at which the causal part reaches half of that
     */
    public record PrefillAttention(double fixedUs, double prefixEfficiency, double prefixHalfTokens, double causalEfficiency,
                                   double causalHalfTokens) {
        public PrefillAttention {
            nonNegative("gpu.prefillAttention.fixedUs", fixedUs);
            fraction("gpu.prefillAttention.prefixEfficiency", prefixEfficiency);
            nonNegative("gpu.prefillAttention.prefixHalfTokens", prefixHalfTokens);
            fraction("gpu.prefillAttention.causalEfficiency", causalEfficiency);
            nonNegative("gpu.prefillAttention.causalHalfTokens", causalHalfTokens);
        }
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
     * @param memoryDomainCores        cores that reach memory through one shared link (AMD's CCD: 8 cores behind one
     *                                 GMI link to the I/O die); 0 = no such link (Intel's mesh)
     * @param memoryDomainGBps         read bandwidth of one such link, GB/s (ignored when memoryDomainCores is 0)
     * @param perCoreGflops            fp32 flop/s one core sustains in the attention kernel, GFLOP/s
     * @param attentionCallOverheadUs  fixed cost of one CPU attention call (thread fork/join), microseconds
     * @param perRequestOverheadUs     extra cost per request in a call (block-table walk, combine), microseconds
     * @param memoryBytes              host memory of the VM
     */
    public record Host(String cpuModel, int cores, int vcpus, int socketVcpus, double socketDramGBps,
                       double dramEfficiency, double perCoreStreamGBps, int memoryDomainCores, double memoryDomainGBps,
                       double perCoreGflops, double attentionCallOverheadUs, double perRequestOverheadUs, long memoryBytes) {
        public Host {
            require(cpuModel != null && !cpuModel.isBlank(), "host.cpuModel", "a non-empty string");
            positive("host.cores", cores);
            positive("host.vcpus", vcpus);
            positive("host.socketVcpus", socketVcpus);
            require(vcpus <= socketVcpus, "host.vcpus", "at most host.socketVcpus (" + socketVcpus + "), got " + vcpus);
            positive("host.socketDramGBps", socketDramGBps);
            fraction("host.dramEfficiency", dramEfficiency);
            positive("host.perCoreStreamGBps", perCoreStreamGBps);
            nonNegative("host.memoryDomainCores", memoryDomainCores);
            if (memoryDomainCores > 0) positive("host.memoryDomainGBps", memoryDomainGBps);
            positive("host.perCoreGflops", perCoreGflops);
            nonNegative("host.attentionCallOverheadUs", attentionCallOverheadUs);
            nonNegative("host.perRequestOverheadUs", perRequestOverheadUs);
            positive("host.memoryBytes", memoryBytes);
        }

        /**
         * Bandwidth CPU attention gets, bytes/s, from the topology (docs/fidelity.md#host-bandwidth): the smallest of what
         * the VM's cores can stream ({@code cores * perCoreStreamGBps}), what the memory links its cores sit behind carry
         * ({@code ceil(cores / memoryDomainCores) * memoryDomainGBps}, VMs packed densely onto whole domains) and what the
         * socket's DRAM sustains ({@code socketDramGBps * dramEfficiency}).
         */
        public double attentionBandwidthBytesPerSec() {
            double limit = Math.min(cores * perCoreStreamGBps, socketDramGBps * dramEfficiency);
            if (memoryDomainCores > 0) limit = Math.min(limit, Math.ceilDiv(cores, memoryDomainCores) * memoryDomainGBps);
            return limit * 1e9;
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
        return new HardwareSpec(id, description + " (GPU memory capped at " + bytes + " bytes)", gpu.withMemoryBytes(bytes), link,
                host, sources);
    }

    /** The source cited for a JSON path, or null. */
    public String source(String path) { return sources.get(path); }
}
