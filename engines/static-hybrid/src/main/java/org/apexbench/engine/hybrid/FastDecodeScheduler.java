package org.apexbench.engine.hybrid;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.Predictor;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Scheduler;
import org.apexbench.engine.SchedulerContext;
import org.apexbench.engine.Strategy;
import org.apexbench.workloads.RequestSpec;

import java.util.ArrayList;
import java.util.List;

/**
 * FastDecode-style symmetric pipelining (docs/engines.md#fastdecode): every decode's KV and
 * attention on the host, prefills on the GPU with their KV streamed to the host, and the decode batch
 * split into two halves of equal total context that ping-pong every layer (the GPU runs one half's
 * linear layers while the CPU attends the other). No fallback to GPU-only. Our choice where the
 * sources are silent: halves balanced by summed context (greedy, longest-first would reorder rows;
 * we keep queue order and put each request on the lighter side), FCFS admission while the host pool
 * has room, whole prompts in sub-batch B0.
 */
public final class FastDecodeScheduler implements Scheduler {
    @Override
    public String infeasibility(RequestSpec r, EngineBudgets b) {
        if (r.promptLength() > b.maxTokensPerIteration()) {
            return "has a prompt longer than the " + b.maxTokensPerIteration() + "-token iteration budget (whole prompts)";
        }
        if (b.gpuKvBlocks() == 0) return NeoScheduler.NO_STAGING;
        int peak = b.blocksFor((long) r.promptLength() + r.outputTokens() - 1);
        if (peak > b.hostKvBlocks()) {
            return "needs " + peak + " host KV blocks (fastdecode keeps all KV on the host) but the host pool has " + b.hostKvBlocks();
        }
        return null;
    }

    @Override
    public IterationPlan plan(SchedulerContext ctx) {
        Placement pl = new Placement(ctx, 0, false);
        Predictor p = ctx.predictor();
        List<RequestState> b0 = new ArrayList<>();
        List<RequestState> b1 = new ArrayList<>();
        long ctx0 = 0, ctx1 = 0;
        int tokens = pl.tokensLeft;
        for (RequestState r : pl.cpuQueue) {
            if (tokens < 1) break;
            if (ctx0 <= ctx1) { b0.add(r); ctx0 += r.contextLength(); } else { b1.add(r); ctx1 += r.contextLength(); }
            tokens--;
        }
        List<PrefillChunk> prefills = new ArrayList<>(pl.cpuPrefills);
        int prefillWidth = Placement.width(prefills);
        double pref = 0;
        for (PrefillChunk c : prefills) pref += p.prefillAttention(c.length(), 1, c.attendedPairs());
        int layers = ctx.geometry().layers();
        double swap = NeoScheduler.swapTime(ctx, pl);
        if (b0.isEmpty() && b1.isEmpty()) {
            double t = layers * (p.linear(prefillWidth) + pref) + p.embedAndHead(prefillWidth, prefills.size()) + swap;
            return new IterationPlan(prefills, List.of(), List.of(), 0, pl.swapOut, pl.swapIn, pl.recompute, Strategy.GPU_ONLY, t);
        }
        if (b1.isEmpty() && prefills.isEmpty() && b0.size() > 1) {
            b1.add(b0.removeLast());
        }
        int w0 = prefillWidth + b0.size(), w1 = b1.size();
        double l0 = w0 == 0 ? 0 : p.linear(w0), l1 = w1 == 0 ? 0 : p.linear(w1);
        double perLayer = Math.max(l0, p.cpuDecodeAttention(b1.size(), ctx1)) + Math.max(l1 + pref, p.cpuDecodeAttention(b0.size(), ctx0));
        List<RequestState> cpu = new ArrayList<>(b0);
        cpu.addAll(b1);
        double predicted = layers * perLayer + p.embedAndHead(w0 + w1, prefills.size() + cpu.size()) + swap;
        return new IterationPlan(prefills, List.of(), cpu, b0.size(), pl.swapOut, pl.swapIn, pl.recompute,
                Strategy.SYMMETRIC_PIPELINE, predicted);
    }
}
