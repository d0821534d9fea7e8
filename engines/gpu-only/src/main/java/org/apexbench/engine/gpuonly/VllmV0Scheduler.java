package org.apexbench.engine.gpuonly;

import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Scheduler;
import org.apexbench.engine.SchedulerContext;
import org.apexbench.engine.Strategy;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * vLLM V0's chunked-prefill scheduler as vLLM 0.6.x runs it (NEO's vLLM baseline; docs/engines.md#gpu-only), step by step:
 * <ol>
 * <li>The running queue, in V0's order (requests swapped in last step, then decodes, then chunked prefills, then the
 *     prompts admitted last step): each request gets its tokens while the budget lasts, but only if the GPU pool has a
 *     free block for every block its step <em>touches</em> (V0's worst-case heuristic: a decode touches its last block
 *     even when that block has room, a prefill whose prompt blocks are allocated touches its partly filled last block);
 *     otherwise the last request of the queue is preempted (the request itself when it is the last), until it has.</li>
 * <li>Swapped requests come back, oldest first, only in a step that preempted nothing.</li>
 * <li>Waiting prompts are admitted FCFS, <em>even in a step that preempted</em>, while their whole prompt's blocks fit
 *     above the watermark ({@code floor(0.01 x blocks)}) and the token budget lasts; requests preempted by recompute
 *     go to the front of the waiting queue after the step (the last one preempted first).</li>
 * </ol>
 * The two rules that differ from {@link GpuOnlyScheduler} (which preempts only for blocks a request actually needs and
 * admits nothing in a step that preempts): with a nearly full pool V0 preempts a request as soon as fewer blocks are free
 * than requests touch, and refills the freed blocks with the next waiting prompt at once.
 */
final class VllmV0Scheduler implements Scheduler {
    private final GpuOnlyScheduler.Preemption preemption;
    /** V0's running deque as the last step left it. */
    private List<RequestState> running = new ArrayList<>();
    /** Requests preempted by recompute and not yet admitted again, in V0's waiting-queue order (front first). */
    private final Deque<RequestState> requeued = new ArrayDeque<>();

    VllmV0Scheduler(GpuOnlyScheduler.Preemption preemption) { this.preemption = preemption; }

    /** Blocks a request's step touches (vLLM's BlockTable.get_num_blocks_touched_by_append_slots with no lookahead). */
    static int touched(SchedulerContext ctx, RequestState r) {
        if (r.decoding()) return 1;
        // a prefilling request's blocks were allocated whole at admission; only a partly filled last block is touched
        return r.contextLength() % ctx.kv().blockSize() == 0 ? 0 : 1;
    }

    @Override
    public IterationPlan plan(SchedulerContext ctx) {
        List<RequestState> queue = runningQueue(ctx);
        int free = ctx.kv().gpuFree();
        for (RequestState r : queue) free -= GpuOnlyScheduler.reserved(ctx, r);
        int hostFree = ctx.kv().hostFree();
        int tokens = ctx.budgets().maxTokensPerIteration();
        List<RequestState> decodes = new ArrayList<>();
        List<PrefillChunk> runningPrefills = new ArrayList<>();
        List<RequestState> recompute = new ArrayList<>();
        List<RequestState> swapOut = new ArrayList<>();
        List<RequestState> unscheduled = new ArrayList<>();
        int next = 0;
        // a request that preempts itself is the queue's last (the others were taken from its tail): at most one
        boolean preemptedItself = false;
        while (next < queue.size()) {
            RequestState r = queue.get(next);
            int want = r.decoding() ? 1 : Math.min(r.remainingTokens(), tokens);
            if (tokens < 1 || want < 1) {
                // out of token budget: the rest stay running, unscheduled this step
                unscheduled.addAll(queue.subList(next, queue.size()));
                break;
            }
            next++;
            while (touched(ctx, r) > free) {
                boolean alone = next >= queue.size() && decodes.isEmpty() && runningPrefills.isEmpty();
                // V0 would preempt a lone request too and re-admit it, re-prefilling its context for every token (for ever
                // if its prompt needs several chunks); the engine admits only requests whose peak KV fits, so it runs
                if (alone && GpuOnlyScheduler.minNeed(ctx, r) <= free) break;
                RequestState victim = next < queue.size() ? queue.removeLast() : r;
                free += victim.blocks() + GpuOnlyScheduler.reserved(ctx, victim);
                if (preemption == GpuOnlyScheduler.Preemption.SWAP && victim.decoding() && victim.blocks() <= hostFree) {
                    hostFree -= victim.blocks();
                    swapOut.add(victim);
                } else {
                    recompute.add(victim);
                }
                if (victim == r) {
                    preemptedItself = true;
                    break;
                }
            }
            if (preemptedItself) break;
            free -= GpuOnlyScheduler.minNeed(ctx, r);
            if (r.decoding()) {
                decodes.add(r);
            } else {
                runningPrefills.add(PrefillChunk.of(r, want, Location.GPU));
            }
            tokens -= want;
        }
        // the victims taken from the tail are gone from the queue; a request that preempted itself is still in it
        int runningCount = queue.size() - (preemptedItself ? 1 : 0);
        int watermark = (int) Math.floor(GpuOnlyScheduler.WATERMARK * ctx.kv().gpuBlocks());
        List<RequestState> swapIn = new ArrayList<>();
        if (recompute.isEmpty() && swapOut.isEmpty()) {
            List<RequestState> swapped = new ArrayList<>(ctx.hostRunning());
            swapped.sort(Comparator.comparingInt(RequestState::index));
            for (RequestState r : swapped) {
                int need = ctx.kv().blocksFor(r.contextLength());
                if (tokens < 1 || runningCount >= ctx.budgets().maxRunning() || free - need < watermark) break;
                swapIn.add(r);
                free -= need;
                tokens--;
                runningCount++;
            }
        }
        List<PrefillChunk> admitted = new ArrayList<>();
        for (RequestState r : waitingQueue(ctx)) {
            if (tokens < 1 || runningCount >= ctx.budgets().maxRunning()) break;
            int whole = ctx.kv().blocksFor(r.contextLength()) - r.blocks();
            // vLLM's can_allocate; alone, a request may use the whole pool (a prompt that fits the pool but not under the
            // watermark would be refused for ever by vLLM; the engine's feasibility check admits it, so it runs alone)
            if (free - whole < (runningCount > 0 ? watermark : 0)) break;
            int chunk = Math.min(r.remainingTokens(), tokens);
            admitted.add(PrefillChunk.of(r, chunk, Location.GPU));
            free -= whole;
            tokens -= chunk;
            runningCount++;
        }
        remember(unscheduled, swapIn, decodes, runningPrefills, admitted, recompute);
        List<PrefillChunk> prefills = new ArrayList<>(runningPrefills);
        prefills.addAll(admitted);
        List<RequestState> gpuDecodes = new ArrayList<>(decodes);
        gpuDecodes.addAll(swapIn);
        return new IterationPlan(prefills, gpuDecodes, List.of(), 0, swapOut, swapIn, recompute, Strategy.GPU_ONLY, Double.NaN);
    }

    /** V0's running deque: last step's order, less the requests that left the GPU, plus any this scheduler did not place. */
    private List<RequestState> runningQueue(SchedulerContext ctx) {
        Set<RequestState> onGpu = identitySet(ctx.gpuRunning());
        List<RequestState> queue = new ArrayList<>();
        for (RequestState r : running) if (onGpu.remove(r)) queue.add(r);
        for (RequestState r : ctx.gpuRunning()) if (onGpu.contains(r)) queue.add(r);
        return queue;
    }

    /** V0's waiting deque: the requests preempted by recompute first (the last preempted in front), then arrivals FCFS. */
    private List<RequestState> waitingQueue(SchedulerContext ctx) {
        Set<RequestState> waiting = identitySet(ctx.waiting());
        requeued.removeIf(r -> !waiting.contains(r));
        List<RequestState> order = new ArrayList<>(requeued);
        Set<RequestState> front = identitySet(requeued);
        for (RequestState r : ctx.waiting()) if (!front.contains(r)) order.add(r);
        return order;
    }

    /** The queues as V0 leaves them after the step (Scheduler._schedule_chunked_prefill). */
    private void remember(List<RequestState> unscheduled, List<RequestState> swapIn, List<RequestState> decodes,
                          List<PrefillChunk> runningPrefills, List<PrefillChunk> admitted, List<RequestState> recompute) {
        List<RequestState> q = new ArrayList<>(unscheduled);
        q.addAll(swapIn);
        q.addAll(decodes);
        for (PrefillChunk c : runningPrefills) q.add(c.request());
        for (PrefillChunk c : admitted) {
            q.add(c.request());
            requeued.remove(c.request());
        }
        running = q;
        for (RequestState r : recompute) requeued.addFirst(r);
    }

    private static Set<RequestState> identitySet(Iterable<? extends RequestState> rs) {
        Set<RequestState> s = Collections.newSetFromMap(new IdentityHashMap<>());
        for (RequestState r : rs) s.add(r);
        return s;
    }
}
