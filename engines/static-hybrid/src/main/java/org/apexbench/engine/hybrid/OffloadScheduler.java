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
 * Naive offloading, the floor (docs/engines.md#offload): NEO's placement (GPU when the KV fits, else the host;
 * swaps with hysteresis), and every host request decodes every iteration with its attention on the
 * CPU while the GPU waits (OFFLOAD_SERIAL: no overlap, no batch splitting, no load balancing).
 */
public final class OffloadScheduler implements Scheduler {
    @Override
    public String infeasibility(RequestSpec r, KvCapacity b) { return NeoScheduler.hybridInfeasibility(r, b); }

    @Override
    public IterationPlan plan(SchedulerContext ctx) {
        Predictor p = ctx.predictor();
        var g = ctx.geometry();
        Placement pl = Placement.neo(ctx, PlacementRules.neo(-1, true, p, g.layers()));
        List<RequestState> cpu = new ArrayList<>();
        long cpuCtx = 0;
        long gpuCtx = 0;
        int tokens = pl.tokensLeft;
        for (RequestState r : pl.cpuQueue) {
            if (tokens-- < 1) break;
            cpu.add(r);
            cpuCtx += r.contextLength();
        }
        for (RequestState r : pl.gpuDecodes) gpuCtx += r.contextLength();
        List<PrefillChunk> prefills = pl.prefills();
        int width = Placement.width(prefills) + pl.gpuDecodes.size() + cpu.size();
        double pref = 0;
        for (PrefillChunk c : prefills) pref += p.prefillAttention(c.length(), 1, c.attendedPairs());
        LaneCosts costs = new LaneCosts();
        costs.linear[0] = width == 0 ? 0 : p.linear(width);
        costs.prefill[0] = pref;
        costs.gpuDecode[0] = p.gpuDecodeAttention(pl.gpuDecodes.size(), gpuCtx);
        // the q/k/v rows go down, the host attends, the outputs come back: one table lookup each, in that order
        costs.cpuPath[0] = cpu.isEmpty() ? 0 : p.d2h(cpu.size() * g.qkvBytesPerToken(), 1)
                + p.cpuDecodeAttention(cpu.size(), cpuCtx) + p.h2d(cpu.size() * g.attnOutBytesPerToken(), 1);
        Strategy strategy = cpu.isEmpty() ? Strategy.GPU_ONLY : Strategy.OFFLOAD_SERIAL;
        double predicted = LaneCosts.iteration(g.layers(), LayerLayout.of(strategy).perLayer(costs),
                p.embedAndHead(width, prefills.size() + pl.gpuDecodes.size() + cpu.size()), pl.swapSeconds());
        return new IterationPlan(prefills, pl.gpuDecodes, cpu, 0, pl.swapOut, pl.swapIn, pl.recompute, strategy, predicted);
    }
}
