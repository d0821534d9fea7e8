package org.apexbench.engine;

/**
 * Host time a synchronous serving loop spends between two iterations while the GPU idles, priced from the iteration's
 * plan: scheduling, block management, input preparation, the hand-off to the worker thread and output handling of
 * the next iteration. Seconds. The simulated executor charges it before each iteration with every resource idle;
 * no scheduler predicts it (neither vLLM's nor NEO's predictor has such a term).
 *
 * @param perIterationSec every iteration
 * @param pipelinedSec    in addition when the plan has two sub-batches (each is prepared and allocated separately)
 * @param perPrefillSec   per prefill in the plan (its position list, block allocation, first output)
 * @param perGpuDecodeSec per GPU decode row
 * @param perCpuDecodeSec per CPU decode row (NEO's scheduler prices each candidate; its host blocks are allocated)
 */
public record HostLoopCost(double perIterationSec, double pipelinedSec, double perPrefillSec, double perGpuDecodeSec,
                           double perCpuDecodeSec) {
    /** A loop that costs nothing. */
    public static final HostLoopCost NONE = new HostLoopCost(0, 0, 0, 0, 0);

    /** A loop that costs {@code sec} before every iteration whatever the plan holds (vLLM V0's c0). */
    public static HostLoopCost perIteration(double sec) { return new HostLoopCost(sec, 0, 0, 0, 0); }

    /**
     * NEO/SwiftLLM's serving loop (NEO-MLSys25/NEO at b55aaab3: AsyncEngine._main_event_loop, Scheduler, BlockManager,
     * LlamaModel.do_one_iteration's host side), measured by running NEO's own control plane with a GPU stand-in
     * (scripts/evidence/neo_loop_host_time.py) on NEO's T4 load-latency runs and its A10G GPU-only and 100-token
     * runs, wall time per iteration, median (least-absolute-deviation) regression; held out: the A10G 300-token and
     * g5.2xlarge runs (docs/decisions.md, NEO's remaining misses, ninth pass). The figure of the measuring host (an
     * AMD EPYC Zen 4 VM, Python 3.11): not rescaled to the 8259CL or the 7R32, for which no comparable Python
     * measurement was found; it excludes the CUDA-side host work of the same code (about 16 small copies,
     * allocations and launches per iteration) and the HTTP responses.
     */
    public static final HostLoopCost SWIFTLLM = new HostLoopCost(0.40e-3, 0.28e-3, 0.24e-3, 4e-6, 10e-6);

    public HostLoopCost {
        check("perIterationSec", perIterationSec);
        check("pipelinedSec", pipelinedSec);
        check("perPrefillSec", perPrefillSec);
        check("perGpuDecodeSec", perGpuDecodeSec);
        check("perCpuDecodeSec", perCpuDecodeSec);
    }

    private static void check(String name, double v) {
        if (!(v >= 0) || Double.isInfinite(v)) throw new IllegalArgumentException("host loop cost " + name + " must be finite and >= 0, got " + v);
    }

    /** The loop's host time before {@code plan} runs. */
    public double seconds(IterationPlan plan) {
        return perIterationSec + (plan.strategy().pipelined() ? pipelinedSec : 0) + perPrefillSec * plan.prefills().size()
                + perGpuDecodeSec * plan.gpuDecodes().size() + perCpuDecodeSec * plan.cpuDecodes().size();
    }
}
