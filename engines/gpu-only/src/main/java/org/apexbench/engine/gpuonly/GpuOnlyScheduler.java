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
 * vLLM-like continuous batching (docs/engines.md#gpu-only): paged KV on the GPU only, FCFS, decodes first,
 * then chunked prefills under the token budget. When the GPU pool cannot give every running request
 * its next token, the newest request is preempted, by recompute (vLLM's default) or by swapping its
 * KV to host memory (swapped requests come back oldest first before new admissions). New admissions
 * keep a 1% watermark of free blocks, as vLLM does, to limit immediate preemption.
 */
public final class GpuOnlyScheduler implements Scheduler {
    /** How KV exhaustion is resolved. */
    public enum Preemption { RECOMPUTE, SWAP }

    private static final double WATERMARK = 0.01;
    private final Preemption preemption;

    public GpuOnlyScheduler(Preemption preemption) { this.preemption = preemption; }

    private static int minNeed(SchedulerContext ctx, RequestState r) {
        return Math.max(0, ctx.kv().blocksFor(r.kvTokens() + 1) - r.blocks());
    }

    @Override
    public IterationPlan plan(SchedulerContext ctx) {
        List<RequestState> run = new ArrayList<>(ctx.gpuRunning());
        int free = ctx.kv().gpuFree();
        int hostFree = ctx.kv().hostFree();
        int totalMin = 0;
        for (RequestState r : run) totalMin += minNeed(ctx, r);
        List<RequestState> recompute = new ArrayList<>();
        List<RequestState> swapOut = new ArrayList<>();
        while (totalMin > free && run.size() > 1) {
            RequestState victim = run.removeLast();
            totalMin -= minNeed(ctx, victim);
            free += victim.blocks();
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
                int chunk = fitChunk(ctx, r, Math.min(r.remainingTokens(), tokens), free);
                if (chunk > 0) {
                    prefills.add(PrefillChunk.of(r, chunk, Location.GPU));
                    free -= ctx.kv().blocksFor(r.kvTokens() + chunk) - r.blocks();
                    tokens -= chunk;
                }
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
                int chunk = fitChunk(ctx, r, Math.min(r.remainingTokens(), tokens), free - watermark);
                if (chunk < Math.min(r.remainingTokens(), tokens)) break;
                prefills.add(PrefillChunk.of(r, chunk, Location.GPU));
                free -= ctx.kv().blocksFor(chunk);
                tokens -= chunk;
                running++;
            }
        }
        List<RequestState> swapInDecodes = new ArrayList<>(decodes);
        swapInDecodes.addAll(swapIn);
        return new IterationPlan(prefills, swapInDecodes, List.of(), 0, swapOut, swapIn, recompute, Strategy.GPU_ONLY,
                Double.NaN);
    }

    /** Largest chunk up to {@code want} tokens whose new blocks fit in {@code free}. */
    private static int fitChunk(SchedulerContext ctx, RequestState r, int want, int free) {
        if (free < 0) return 0;
        int bs = ctx.budgets().blockSize();
        int capacityTokens = (r.blocks() + free) * bs - r.kvTokens();
        return Math.max(0, Math.min(want, capacityTokens));
    }
}
