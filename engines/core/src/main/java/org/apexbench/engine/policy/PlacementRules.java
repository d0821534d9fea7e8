package org.apexbench.engine.policy;

import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.predict.Predictor;

/**
 * The parameters of {@link Placement}: NEO's rules ({@link #neo}) and APEX's refinements of them ({@link #apex}).
 *
 * @param gpuDecodeBlocks      GPU blocks requests may decode in; -1: the whole GPU pool (FastDecode: 0, the pool
 *                             only stages prefills)
 * @param evictAnyRequest      APEX: the newest GPU request of any phase is the victim while the pool overflows
 *                             (NEO: the newest decode, also while the decodes exceed the token budget)
 * @param swapIn               whether host requests come back to the GPU at all
 * @param swapInOldestFirst    APEX: swap-ins come first and count as decodes, the oldest host request first
 *                             (stopping at one mid-prefill), none in an iteration that recomputes (NEO: after the
 *                             continued prefills, from the head of the CPU queue)
 * @param swapInHysteresis     swap in only while the GPU requests stay under this share of the decode blocks
 * @param swapInBudgetSec      APEX: at most this much swap-in PCIe time per iteration (the first always goes);
 *                             infinite for none
 * @param stagedHostPrefill    NEO: whole prompts, host-bound ones within the GPU staging area (APEX: chunks)
 * @param gpuWatermark         share of the GPU pool an admission must leave free (vLLM's and APEX's 1%)
 * @param hostLoadIsPoolUse    APEX: the host reserve is judged on the blocks the host pool holds (NEO: on the
 *                             blocks the host decodes hold after this step)
 * @param noAdmissionWhilePreempting APEX: no admission in an iteration that swaps out or recomputes
 * @param hostAdmission        whether waiting requests may go to the host pool at all
 * @param reserveGatesGpuAdmission NEO: the host reserve stops every admission, GPU-bound ones too (NEO's
 *                             scheduler.py, _get_next_batch_new step 4, checks the CPU queue's blocks plus the
 *                             candidate's against num_cpu_blocks - num_gpu_blocks before choosing its pool); APEX:
 *                             only host-bound ones
 * @param predictor            prices swaps (PCIe copies of every layer's K and V)
 * @param layers               decoder layers
 */
public record PlacementRules(int gpuDecodeBlocks, boolean evictAnyRequest, boolean swapIn, boolean swapInOldestFirst,
                             double swapInHysteresis, double swapInBudgetSec, boolean stagedHostPrefill, double gpuWatermark,
                             boolean hostLoadIsPoolUse, boolean noAdmissionWhilePreempting, boolean hostAdmission,
                             boolean reserveGatesGpuAdmission, Predictor predictor, int layers) {
    /** NEO's swap-in hysteresis: host requests come back while the GPU stays under 95% of its blocks. */
    public static final double NEO_SWAP_IN_HYSTERESIS = 0.95;

    /** NEO's placement; {@code gpuDecodeBlocks} -1 for the whole GPU pool. */
    public static PlacementRules neo(int gpuDecodeBlocks, boolean swapIn, Predictor predictor, int layers) {
        return new PlacementRules(gpuDecodeBlocks, false, swapIn, false, NEO_SWAP_IN_HYSTERESIS, Double.POSITIVE_INFINITY,
                true, 0, false, false, true, true, predictor, layers);
    }

    /**
     * APEX's placement (docs/engines.md#apex): NEO's, with chunked prefill, a 1% GPU watermark, oldest-first
     * swap-ins within one layer-linear-time of PCIe per iteration, and host admission as {@code hostAdmission} says.
     */
    public static PlacementRules apex(double swapInHysteresis, boolean hostAdmission, Predictor predictor, int layers) {
        return new PlacementRules(-1, true, true, true, swapInHysteresis, layers * predictor.linear(1), false, 0.01, true, true,
                hostAdmission, false, predictor, layers);
    }

    /** PCIe seconds of swapping {@code r} in (host to device): every layer's K and V, one transfer each. */
    public double swapInSeconds(KvCapacity kv, RequestState r) {
        return predictor.h2d(kv.swapBytes(r.blocks()), 2 * layers);
    }

    /** PCIe seconds of swapping {@code r} out (device to host). */
    public double swapOutSeconds(KvCapacity kv, RequestState r) {
        return predictor.d2h(kv.swapBytes(r.blocks()), 2 * layers);
    }
}
