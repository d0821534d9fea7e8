package org.apexbench.engine.gpuonly;

import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Scheduler;
import org.apexbench.engine.SchedulerContext;
import org.apexbench.engine.Strategy;

import java.util.ArrayList;
import java.util.List;

/**
 * gpu-only's {@code scheduler=exact} (docs/engines.md#gpu-only; the default is {@link VllmV0Scheduler}): vLLM-like
 * continuous batching that preempts only for the blocks requests actually need, as SwiftLLM's GPU-only mode (NEO's
 * A10G baseline) does. Paged KV on the GPU only, FCFS, decodes first,
 * then chunked prefills under the token budget. When the GPU pool cannot give every running request
 * its next token, the newest request is preempted, by recompute (vLLM's default) or by swapping its
 * KV to host memory (swapped requests come back oldest first before new admissions); nothing is admitted in an
 * iteration that preempts. New admissions keep a watermark of ceil(1%) of the blocks free. As vLLM V0's block manager does,
 * a request is admitted only when the blocks of its whole prompt fit, and they stay reserved for it while it is
 * prefilled chunk by chunk: decodes never take a half-prefilled prompt's blocks.
 */
public final class GpuOnlyScheduler implements Scheduler {
    /** How KV exhaustion is resolved. */
    public enum Preemption { RECOMPUTE, SWAP }

    /** vLLM's watermark: the share of the GPU pool new admissions leave free. */
    static final double WATERMARK = 0.01;
    private final Preemption preemption;

    public GpuOnlyScheduler(Preemption preemption) { this.preemption = preemption; }

    /** Blocks a decoding request needs for its next token; a prefilling one's are in its reservation. */
    static int minNeed(SchedulerContext ctx, RequestState r) {
        return r.decoding() ? Math.max(0, ctx.kv().blocksFor(r.kvTokens() + 1) - r.blocks()) : 0;
    }

    /** Blocks reserved for the rest of a prefilling request's prompt (allocated whole at admission, as in vLLM V0). */
    static int reserved(SchedulerContext ctx, RequestState r) {
        return r.decoding() ? 0 : Math.max(0, ctx.kv().blocksFor(r.contextLength()) - r.blocks());
    }

    @Override
    public IterationPlan plan(SchedulerContext ctx) {
        List<RequestState> run = new ArrayList<>(ctx.gpuRunning());
        int free = ctx.kv().gpuFree();
        int hostFree = ctx.kv().hostFree();
        int totalMin = 0;
        for (RequestState r : run) {
            totalMin += minNeed(ctx, r);
            free -= reserved(ctx, r);
        }
        List<RequestState> recompute = new ArrayList<>();
        List<RequestState> swapOut = new ArrayList<>();
        while (totalMin > free && run.size() > 1) {
            RequestState victim = run.removeLast();
            totalMin -= minNeed(ctx, victim);
            free += victim.blocks() + reserved(ctx, victim);
            if (preemption == Preemption.SWAP && victim.decoding() && victim.blocks() <= hostFree) {
                hostFree -= victim.blocks();
                swapOut.add(victim);
            } else {
                recompute.add(victim);
            }
        }
        int tokens = ctx.budgets().maxTokensPerIteration();
        List<RequestState> decodes = new ArrayList<>();
        List<PrefillChunk> prefills = new ArrayList<>();
        for (RequestState r : run) {
            if (r.decoding() && tokens > 0) {
                int need = minNeed(ctx, r);
                if (need <= free) {
                    decodes.add(r);
                    free -= need;
                    tokens--;
                }
            }
        }
        for (RequestState r : run) {
            if (!r.decoding() && tokens > 0) {
                // its blocks are reserved: the chunk only has to fit the token budget
                int chunk = Math.min(r.remainingTokens(), tokens);
                prefills.add(PrefillChunk.of(r, chunk, Location.GPU));
                tokens -= chunk;
            }
        }
        List<RequestState> swapIn = new ArrayList<>();
        int running = run.size();
        int watermark = (int) Math.ceil(WATERMARK * ctx.kv().gpuBlocks());
        if (swapOut.isEmpty() && recompute.isEmpty()) {
            List<RequestState> swapped = new ArrayList<>(ctx.hostRunning());
            swapped.sort(java.util.Comparator.comparingInt(RequestState::index));
            for (RequestState r : swapped) {
                int need = ctx.kv().blocksFor(r.contextLength());
                if (tokens < 1 || running >= ctx.budgets().maxRunning() || need + watermark > free) break;
                swapIn.add(r);
                free -= need;
                tokens--;
                running++;
            }
        }
        boolean waitingForSwapIn = swapIn.size() < ctx.hostRunning().size();
        if (recompute.isEmpty() && swapOut.isEmpty() && !waitingForSwapIn) {
            for (RequestState r : ctx.waiting()) {
                if (tokens < 1 || running >= ctx.budgets().maxRunning()) break;
                int whole = ctx.kv().blocksFor(r.contextLength()) - r.blocks();
                // the watermark keeps room for running requests; alone, a request may use the whole pool
                if (whole + (running > 0 ? watermark : 0) > free) break;
                int chunk = Math.min(r.remainingTokens(), tokens);
                prefills.add(PrefillChunk.of(r, chunk, Location.GPU));
                free -= whole;
                tokens -= chunk;
                running++;
            }
        }
        List<RequestState> swapInDecodes = new ArrayList<>(decodes);
        swapInDecodes.addAll(swapIn);
        return new IterationPlan(prefills, swapInDecodes, List.of(), 0, swapOut, swapIn, recompute, Strategy.GPU_ONLY,
                Double.NaN);
    }
}
