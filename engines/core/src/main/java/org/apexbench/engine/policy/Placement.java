package org.apexbench.engine.policy;

import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.SchedulerContext;

import java.util.ArrayList;
import java.util.List;

/**
 * NEO's queue and placement steps (docs/engines.md#neo, steps 1-4), shared by every hybrid engine; APEX's
 * refinements are its {@link PlacementRules}. One iteration:
 * <ol>
 * <li>{@link #preempt}: a host request whose next token finds the host pool full is preempted by recompute
 *     (newest first); while the GPU requests outgrow the GPU pool (NEO: or the decodes the token budget) the
 *     newest is swapped out to the head of the host queue, or recomputed when the host cannot take it;</li>
 * <li>{@link #schedule}: GPU decodes, chunks of requests part-way through a (re)prefill, and swap-ins of host
 *     decodes under a hysteresis share of the GPU pool;</li>
 * <li>{@link #admit}: waiting requests FCFS to the GPU while they fit, else to the host pool (once one goes to
 *     the host every later one does), keeping a host reserve of hostBlocks - gpuBlocks (NEO: a candidate the
 *     reserve could not take waits even when it would fit the GPU).</li>
 * </ol>
 * Added where NEO is silent: a swap-out victim the host cannot take is recomputed; a context that no iteration
 * can prefill whole (longer than the token budget, or host-bound and larger than the GPU staging area, typically
 * a recomputed request that had generated many tokens) is prefilled in chunks alone at the head, since NEO's rule
 * would stop the FCFS queue at it forever. Reusable per iteration: build one, call the steps in order, read the
 * lists.
 */
public final class Placement {
    /** Decides whether a host admission pays (APEX's predictions); NEO admits whenever the host pool has room. */
    @FunctionalInterface
    public interface HostAdmission {
        boolean admit(PrefillChunk chunk);

        /** Whether a GPU-bound chunk (one the GPU pool has room for) is prefilled now; false: it waits, FCFS. NEO: always. */
        default boolean admitToGpu(PrefillChunk chunk) { return true; }
    }

    private final SchedulerContext ctx;
    private final KvCapacity kv;
    private final PlacementRules rules;
    private final int gpuBlocks;
    private final int maxTokens;
    /** GPU blocks that stage host-bound prefill KV (NEO's staging layer has one GPU pool's worth) and what this step uses. */
    private final int stagingLimit;
    private int staging;
    /** Blocks the GPU requests hold after this step; free host blocks after this step's growth and swaps. */
    private int gpuHeld, hostFree;

    /** GPU requests in admission order (victims removed, swap-ins appended), host requests (victims first). */
    private final List<RequestState> onGpu, host;
    public final List<RequestState> gpuDecodes = new ArrayList<>();
    /** Host decode candidates in NEO's cpu_decoding_q order (victims of this iteration first), sized for every host request. */
    public final List<RequestState> cpuQueue;
    public final List<RequestState> swapOut = new ArrayList<>();
    public final List<RequestState> swapIn = new ArrayList<>();
    public final List<RequestState> recompute = new ArrayList<>();
    /** Chunks of requests part-way through a (re)prefill, by pool. */
    public final List<PrefillChunk> gpuContinued = new ArrayList<>(), hostContinued = new ArrayList<>();
    /** Waiting requests admitted this iteration, by pool. */
    public final List<PrefillChunk> gpuAdmitted = new ArrayList<>(), hostAdmitted = new ArrayList<>();
    public int tokensLeft;
    public int slotsLeft;
    /** PCIe seconds of this iteration's swap-ins, added in order (APEX's budget). */
    public double swapInSec;

    public Placement(SchedulerContext ctx, PlacementRules rules) {
        this.ctx = ctx;
        this.kv = ctx.kv();
        this.rules = rules;
        this.gpuBlocks = rules.gpuDecodeBlocks() < 0 ? kv.gpuBlocks() : rules.gpuDecodeBlocks();
        this.stagingLimit = Math.max(gpuBlocks, kv.gpuBlocks());
        this.maxTokens = ctx.budgets().maxTokensPerIteration();
        this.tokensLeft = maxTokens;
        this.slotsLeft = ctx.budgets().maxRunning() - ctx.runningCount();
        this.onGpu = new ArrayList<>(ctx.gpuRunning());
        this.host = new ArrayList<>(ctx.hostRunning());
        this.cpuQueue = new ArrayList<>(host.size());
    }

    /** NEO's whole placement (steps 1-4) with {@code rules}: preempt, schedule, admit. */
    public static Placement neo(SchedulerContext ctx, PlacementRules rules) {
        Placement p = new Placement(ctx, rules);
        p.preempt();
        p.schedule();
        p.admit(0, c -> true);
        return p;
    }

    /** Step 1: host overflow by recompute, then GPU overflow by swap-out or recompute. */
    public void preempt() {
        for (RequestState r : onGpu) gpuHeld += kv.blocksAfterStep(r);
        hostFree = kv.hostFree();
        int hostGrowth = 0;
        for (RequestState r : host) hostGrowth += kv.growth(r);
        while (hostGrowth > hostFree && !host.isEmpty()) {
            RequestState v = newest(host);
            host.remove(v);
            hostGrowth -= kv.growth(v);
            hostFree += v.blocks();
            recompute.add(v);
        }
        hostFree -= hostGrowth;
        if (rules.evictAnyRequest()) {
            while (gpuHeld > gpuBlocks && !onGpu.isEmpty()) evict(onGpu.getLast());
        } else {
            List<RequestState> decodes = new ArrayList<>();
            for (RequestState r : onGpu) if (r.decoding()) decodes.add(r);
            while (!decodes.isEmpty() && (gpuHeld > gpuBlocks || decodes.size() > maxTokens) && gpuHeld > 0) {
                evict(decodes.removeLast());
            }
        }
    }

    private void evict(RequestState v) {
        onGpu.remove(v);
        int need = kv.blocksAfterStep(v);
        gpuHeld -= need;
        if (v.decoding() && need <= hostFree) {
            swapOut.add(v);
            hostFree -= need;
            host.addFirst(v);
        } else {
            recompute.add(v);
        }
    }

    /**
     * Step 2: swap-ins, GPU decodes and the chunks of requests part-way through a (re)prefill, in NEO's order
     * (continued prefills take tokens before swap-ins) or APEX's (swap-ins first, as decodes).
     */
    public void schedule() {
        if (rules.swapInOldestFirst()) swapIn();
        for (RequestState r : onGpu) {
            if (r.decoding() && tokensLeft > 0) {
                gpuDecodes.add(r);
                tokensLeft--;
            }
        }
        for (RequestState r : onGpu) if (!r.decoding()) continuePrefill(r, Location.GPU);
        for (RequestState r : host) {
            if (r.decoding()) cpuQueue.add(r);
            else continuePrefill(r, Location.HOST);
        }
        if (!rules.swapInOldestFirst()) swapIn();
    }

    private void continuePrefill(RequestState r, Location pool) {
        int cap = pool == Location.HOST && rules.stagedHostPrefill() ? Math.min(tokensLeft, stagingRoom()) : tokensLeft;
        int len = Math.min(r.remainingTokens(), cap);
        if (len < 1) return;
        (pool == Location.GPU ? gpuContinued : hostContinued).add(PrefillChunk.of(r, len, pool));
        tokensLeft -= len;
        if (pool == Location.HOST && rules.stagedHostPrefill()) staging += kv.blocksFor(len);
    }

    /**
     * Host decodes back to the GPU while the GPU pool stays under the hysteresis share: NEO takes the head of
     * the CPU queue, APEX the oldest host request (stopping at one mid-prefill) within a PCIe budget.
     */
    private void swapIn() {
        if (!rules.swapIn() || !swapOut.isEmpty() || (rules.swapInOldestFirst() && !recompute.isEmpty())) return;
        int limit = (int) Math.round(rules.swapInHysteresis() * gpuBlocks);
        double spent = 0;
        while (tokensLeft > 0) {
            List<RequestState> from = rules.swapInOldestFirst() ? host : cpuQueue;
            RequestState r = rules.swapInOldestFirst() ? oldest(host) : from.isEmpty() ? null : from.getFirst();
            if (r == null) break;
            int need = kv.blocksAfterStep(r);
            if (!r.decoding() || gpuHeld + need > limit) break;
            double t = Double.isInfinite(rules.swapInBudgetSec()) ? 0 : rules.swapInSeconds(kv, r);
            if (spent > 0 && spent + t > rules.swapInBudgetSec()) break;
            from.remove(r);
            swapIn.add(r);
            gpuHeld += need;
            spent += t;
            if (rules.swapInOldestFirst()) {
                onGpu.add(r);
            } else {
                gpuDecodes.add(r);
                tokensLeft--;
            }
        }
        swapInSec = spent;
    }

    /** PCIe seconds of this iteration's swaps: swap-outs, then swap-ins, added in that order (NEO's). */
    public double swapSeconds() {
        double t = 0;
        for (RequestState r : swapOut) t += rules.swapOutSeconds(kv, r);
        for (RequestState r : swapIn) t += rules.swapInSeconds(kv, r);
        return t;
    }

    /**
     * Step 3: waiting requests FCFS, {@code reservedTokens} of the token budget kept for CPU decodes. To the GPU
     * while they fit (with {@link PlacementRules#gpuWatermark} blocks to spare), else to the host pool if it keeps
     * its reserve and {@code decision} admits the chunk; the first refusal (of either pool, {@link HostAdmission#admitToGpu}) stops the queue.
     */
    public void admit(int reservedTokens, HostAdmission decision) {
        if (rules.noAdmissionWhilePreempting() && (!swapOut.isEmpty() || !recompute.isEmpty())) return;
        int hostThreshold = kv.hostBlocks() - gpuBlocks;
        int hostLoad = 0;
        if (rules.hostLoadIsPoolUse()) {
            hostLoad = kv.hostUsed();
        } else {
            for (RequestState r : cpuQueue) hostLoad += kv.blocksAfterStep(r);
        }
        int watermark = (int) Math.ceil(rules.gpuWatermark() * gpuBlocks);
        boolean toHost = false;
        int decodes = gpuDecodes.size();
        for (RequestState r : ctx.waiting()) {
            int need = kv.blocksAfterStep(r);
            // NEO checks the host reserve before it chooses the pool: with the host pool at its limit nothing is
            // admitted, not even to a GPU with room, until host requests finish (docs/decisions.md, tenth pass)
            if (rules.reserveGatesGpuAdmission() && rules.hostAdmission() && hostLoad + need > hostThreshold) break;
            boolean toGpu = !toHost && gpuHeld + need + watermark <= gpuBlocks;
            int len = chunk(r, need, toGpu, decodes, reservedTokens);
            if (slotsLeft < 1 || len < 1) break;
            PrefillChunk c = PrefillChunk.of(r, len, toGpu ? Location.GPU : Location.HOST);
            if (toGpu) {
                if (!decision.admitToGpu(c)) break;
                gpuAdmitted.add(c);
                gpuHeld += need;
            } else {
                if (!rules.hostAdmission() || hostLoad + need > hostThreshold || need > hostFree || !decision.admit(c)) break;
                toHost = true;
                hostAdmitted.add(c);
                hostLoad += need;
                hostFree -= need;
                if (rules.stagedHostPrefill()) staging += kv.blocksFor(len);
            }
            slotsLeft--;
            tokensLeft -= len;
        }
    }

    /**
     * Tokens of {@code r} to prefill now, 0 when it must wait. APEX: a chunk of what the budget leaves after the
     * reserved tokens. NEO: the whole prompt within the budget (host-bound: within the staging area), except a
     * context no iteration could take whole, which goes in chunks when it is alone at the head.
     */
    private int chunk(RequestState r, int need, boolean toGpu, int decodes, int reservedTokens) {
        int len = r.remainingTokens();
        if (!rules.stagedHostPrefill()) return Math.min(len, tokensLeft - reservedTokens);
        int cap = toGpu ? tokensLeft : Math.min(tokensLeft, stagingRoom());
        boolean neverWhole = len > maxTokens || (need > gpuBlocks && need > stagingLimit);
        boolean alone = tokensLeft == maxTokens - decodes && gpuContinued.isEmpty() && hostContinued.isEmpty()
                && gpuAdmitted.isEmpty() && hostAdmitted.isEmpty();
        if (neverWhole && alone) len = Math.min(len, cap);
        return len > cap ? 0 : len;
    }

    /** Tokens of host-bound prefill the staging area still takes this step. */
    private int stagingRoom() { return (stagingLimit - staging) * kv.blockSize(); }

    /** GPU blocks the GPU requests hold after this step. */
    public int gpuHeld() { return gpuHeld; }

    /** The prefill chunks of every pool: continued GPU, admitted GPU, continued host, admitted host (NEO's order). */
    public List<PrefillChunk> prefills() {
        List<PrefillChunk> l = new ArrayList<>(gpuContinued);
        l.addAll(gpuAdmitted);
        l.addAll(hostContinued);
        l.addAll(hostAdmitted);
        return l;
    }

    /** Tokens of {@code prefills}. */
    public static int width(List<PrefillChunk> prefills) {
        int w = 0;
        for (PrefillChunk c : prefills) w += c.length();
        return w;
    }

    private static RequestState newest(List<RequestState> l) {
        RequestState n = l.getFirst();
        for (RequestState r : l) if (r.index() > n.index()) n = r;
        return n;
    }

    private static RequestState oldest(List<RequestState> l) {
        RequestState o = null;
        for (RequestState r : l) if (o == null || r.index() < o.index()) o = r;
        return o;
    }
}
