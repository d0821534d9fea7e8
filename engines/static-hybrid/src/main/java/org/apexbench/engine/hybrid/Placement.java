package org.apexbench.engine.hybrid;

import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.SchedulerContext;

import java.util.ArrayList;
import java.util.List;

/**
 * NEO's queue and placement steps (docs/engines.md#neo, steps 1-4), shared by the static-hybrid
 * policies: account GPU decodes, swap out the newest GPU requests while over the GPU pool or the
 * budget, else swap in the oldest host requests under 0.95 x GPU blocks, then admit whole prompts
 * FCFS (GPU if it fits, else the host; once one goes to the host every later one does; keep a host
 * reserve of hostBlocks - gpuBlocks). Whole prompts: NEO has no chunked prefill.
 *
 * <p>Added where NEO is silent: a host request whose next token finds the host pool full is
 * preempted by recompute (newest first), and a swap-out victim the host cannot take is recomputed.
 * A context that no iteration can prefill whole (longer than the token budget, or host-bound and
 * larger than the GPU staging area, typically a recomputed request that had generated many tokens)
 * is prefilled in chunks alone at the head; NEO's rule would stop the FCFS queue at it forever.
 */
final class Placement {
    static final double SWAP_IN_HYSTERESIS = 0.95;

    final List<RequestState> gpuDecodes = new ArrayList<>();
    /** Host decode candidates in NEO's cpu_decoding_q order (victims of this iteration first). */
    final List<RequestState> cpuQueue = new ArrayList<>();
    final List<RequestState> swapOut = new ArrayList<>();
    final List<RequestState> swapIn = new ArrayList<>();
    final List<RequestState> recompute = new ArrayList<>();
    final List<PrefillChunk> gpuPrefills = new ArrayList<>();
    final List<PrefillChunk> cpuPrefills = new ArrayList<>();
    int tokensLeft;
    int slotsLeft;
    /** GPU blocks that stage host-bound prefill KV (NEO's staging layer has one GPU pool's worth) and what this step uses. */
    private final int stagingLimit;
    private final int blockSize;
    private int staging;

    /**
     * @param gpuDecodeBlocks GPU blocks usable for decoding (0 for FastDecode: the GPU pool only stages prefills)
     */
    Placement(SchedulerContext ctx, int gpuDecodeBlocks, boolean allowSwapIn) {
        int gpuBlocks = gpuDecodeBlocks;
        int hostBlocks = ctx.hostPool().capacity();
        stagingLimit = Math.max(gpuBlocks, ctx.gpuPool().capacity());
        blockSize = ctx.budgets().blockSize();
        tokensLeft = ctx.budgets().maxTokensPerIteration();
        slotsLeft = ctx.budgets().maxRunning() - ctx.runningCount();
        int g = 0;
        List<RequestState> gpuPartial = new ArrayList<>();
        for (RequestState r : ctx.gpuRunning()) {
            (r.decoding() ? gpuDecodes : gpuPartial).add(r);
            g += ctx.blocksFor(r.contextLength());
        }
        tokensLeft -= gpuDecodes.size();
        int hostFree = ctx.hostPool().free();
        // host requests' growth this step comes first; recompute the newest host requests if it cannot
        List<RequestState> host = new ArrayList<>(ctx.hostRunning());
        int hostGrowth = 0;
        for (RequestState r : host) hostGrowth += ctx.blocksFor(r.contextLength()) - r.blocks();
        while (hostGrowth > hostFree && !host.isEmpty()) {
            RequestState v = newest(host);
            host.remove(v);
            hostGrowth -= ctx.blocksFor(v.contextLength()) - v.blocks();
            hostFree += v.blocks();
            recompute.add(v);
        }
        hostFree -= hostGrowth;
        while (!gpuDecodes.isEmpty() && (g > gpuBlocks || tokensLeft < 0) && g > 0) {
            RequestState v = gpuDecodes.removeLast();
            g -= ctx.blocksFor(v.contextLength());
            tokensLeft++;
            int need = ctx.blocksFor(v.contextLength());
            if (need <= hostFree) {
                swapOut.add(v);
                hostFree -= need;
                cpuQueue.addFirst(v);
            } else {
                recompute.add(v);
            }
        }
        List<RequestState> hostPartial = new ArrayList<>();
        for (RequestState r : host) (r.decoding() ? cpuQueue : hostPartial).add(r);
        // requests part-way through a (re)prefill that exceeded the token budget continue first
        for (RequestState r : gpuPartial) continuePrefill(r, Location.GPU);
        for (RequestState r : hostPartial) continuePrefill(r, Location.HOST);
        if (swapOut.isEmpty() && allowSwapIn) {
            int limit = (int) Math.round(SWAP_IN_HYSTERESIS * gpuBlocks);
            while (!cpuQueue.isEmpty() && tokensLeft > 0) {
                RequestState head = cpuQueue.getFirst();
                int need = ctx.blocksFor(head.contextLength());
                if (g + need > limit || need > ctx.gpuPool().free() - (g - usedByDecodes(ctx))) break;
                cpuQueue.removeFirst();
                swapIn.add(head);
                gpuDecodes.add(head);
                g += need;
                tokensLeft--;
            }
        }
        int c = 0;
        for (RequestState r : cpuQueue) c += ctx.blocksFor(r.contextLength());
        int cpuThreshold = hostBlocks - gpuBlocks;
        boolean toCpu = false;
        int maxTokens = ctx.budgets().maxTokensPerIteration();
        for (RequestState p : ctx.waiting()) {
            int bp = ctx.blocksFor(p.contextLength());
            int len = p.remainingTokens();
            boolean toGpu = !toCpu && g + bp <= gpuBlocks && bp <= ctx.gpuPool().free() - (g - usedByDecodes(ctx));
            int cap = toGpu ? tokensLeft : Math.min(tokensLeft, stagingRoom());
            // whole prompts as NEO; a context that no iteration could take whole (longer than the token budget,
            // or bound for the host and larger than the staging area: a request preempted by recompute after
            // generating) is prefilled in chunks, alone at the head, instead of blocking the queue forever
            boolean neverWhole = len > maxTokens || (bp > gpuBlocks && bp > stagingLimit);
            boolean alone = tokensLeft == maxTokens - gpuDecodes.size() && gpuPrefills.isEmpty() && cpuPrefills.isEmpty();
            if (neverWhole && alone) len = Math.min(len, cap);
            if (slotsLeft < 1 || len > cap || len < 1) break;
            if (toGpu) {
                gpuPrefills.add(PrefillChunk.of(p, len, Location.GPU));
                g += bp;
            } else {
                if (c + bp > cpuThreshold || bp > hostFree) break;
                toCpu = true;
                cpuPrefills.add(PrefillChunk.of(p, len, Location.HOST));
                c += bp;
                staging += ctx.blocksFor(len);
                hostFree -= bp;
            }
            slotsLeft--;
            tokensLeft -= len;
        }
    }

    private void continuePrefill(RequestState r, Location pool) {
        int len = Math.min(r.remainingTokens(), pool == Location.GPU ? tokensLeft : Math.min(tokensLeft, stagingRoom()));
        if (len < 1) return;
        (pool == Location.GPU ? gpuPrefills : cpuPrefills).add(PrefillChunk.of(r, len, pool));
        tokensLeft -= len;
        if (pool == Location.HOST) staging += (len + blockSize - 1) / blockSize;
    }

    /** Tokens of host-bound prefill the staging area still takes this step. */
    private int stagingRoom() { return (stagingLimit - staging) * blockSize; }

    /** Blocks the GPU decode set already holds (so g - this is what it still needs to allocate). */
    private static int usedByDecodes(SchedulerContext ctx) { return ctx.gpuPool().used(); }

    private static RequestState newest(List<RequestState> l) {
        RequestState n = l.getFirst();
        for (RequestState r : l) if (r.index() > n.index()) n = r;
        return n;
    }

    static int width(List<PrefillChunk> prefills) {
        int w = 0;
        for (PrefillChunk c : prefills) w += c.length();
        return w;
    }
}
