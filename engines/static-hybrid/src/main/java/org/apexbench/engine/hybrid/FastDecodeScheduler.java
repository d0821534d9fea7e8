package org.apexbench.engine.hybrid;

import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Scheduler;
import org.apexbench.engine.SchedulerContext;
import org.apexbench.engine.Strategy;
import org.apexbench.engine.plan.LaneCosts;
import org.apexbench.engine.plan.LayerLayout;
import org.apexbench.engine.policy.Placement;
import org.apexbench.engine.policy.PlacementRules;
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
    private static final LayerLayout PIPELINE = LayerLayout.of(Strategy.SYMMETRIC_PIPELINE);
    private static final LayerLayout GPU_ONLY = LayerLayout.of(Strategy.GPU_ONLY);

    @Override
    public String infeasibility(RequestSpec r, KvCapacity b) {
        if (r.promptLength() > b.budgets().maxTokensPerIteration()) {
            return "has a prompt longer than the " + b.budgets().maxTokensPerIteration() + "-token iteration budget (whole prompts)";
        }
        if (b.gpuBlocks() == 0) return NeoScheduler.NO_STAGING;
        int peak = b.peakBlocks(r);
        if (peak > b.hostBlocks()) {
            return "needs " + peak + " host KV blocks (fastdecode keeps all KV on the host) but the host pool has " + b.hostBlocks();
        }
        return null;
    }

    @Override
    public IterationPlan plan(SchedulerContext ctx) {
        Predictor p = ctx.predictor();
        int layers = ctx.geometry().layers();
        Placement pl = Placement.neo(ctx, PlacementRules.neo(0, false, p, layers));
        List<RequestState> b0 = new ArrayList<>();
        List<RequestState> b1 = new ArrayList<>();
        long ctx0 = 0, ctx1 = 0;
        int tokens = pl.tokensLeft;
        for (RequestState r : pl.cpuQueue) {
            if (tokens < 1) break;
            if (ctx0 <= ctx1) { b0.add(r); ctx0 += r.contextLength(); } else { b1.add(r); ctx1 += r.contextLength(); }
            tokens--;
        }
        List<PrefillChunk> prefills = new ArrayList<>(pl.hostContinued);
        prefills.addAll(pl.hostAdmitted);
        int prefillWidth = Placement.width(prefills);
        double pref = 0;
        for (PrefillChunk c : prefills) pref += p.prefillAttention(c.length(), 1, c.attendedPairs());
        double swap = pl.swapSeconds();
        LaneCosts costs = new LaneCosts();
        costs.prefill[0] = pref;
        if (b0.isEmpty() && b1.isEmpty()) {
            costs.linear[0] = p.linear(prefillWidth);
            double t = LaneCosts.iteration(layers, GPU_ONLY.perLayer(costs), p.embedAndHead(prefillWidth, prefills.size()), swap);
            return new IterationPlan(prefills, List.of(), List.of(), 0, pl.swapOut, pl.swapIn, pl.recompute, Strategy.GPU_ONLY, t);
        }
        if (b1.isEmpty() && prefills.isEmpty() && b0.size() > 1) {
            b1.add(b0.removeLast());
        }
        int w0 = prefillWidth + b0.size(), w1 = b1.size();
        costs.linear[0] = w0 == 0 ? 0 : p.linear(w0);
        costs.linear[1] = w1 == 0 ? 0 : p.linear(w1);
        costs.cpuPath[0] = p.cpuDecodeAttention(b0.size(), ctx0);
        costs.cpuPath[1] = p.cpuDecodeAttention(b1.size(), ctx1);
        List<RequestState> cpu = new ArrayList<>(b0);
        cpu.addAll(b1);
        double predicted = LaneCosts.iteration(layers, PIPELINE.perLayer(costs), p.embedAndHead(w0 + w1, prefills.size() + cpu.size()),
                swap);
        return new IterationPlan(prefills, List.of(), cpu, b0.size(), pl.swapOut, pl.swapIn, pl.recompute,
                Strategy.SYMMETRIC_PIPELINE, predicted);
    }
}
