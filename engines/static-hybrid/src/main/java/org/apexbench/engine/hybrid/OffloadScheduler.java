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
 * Naive offloading, the floor (docs/engines.md#offload): NEO's placement (GPU when the KV fits, else the host;
 * swaps with hysteresis), and every host request decodes every iteration with its attention on the
 * CPU while the GPU waits (OFFLOAD_SERIAL: no overlap, no batch splitting, no load balancing).
 */
public final class OffloadScheduler implements Scheduler {
    @Override
    public String infeasibility(RequestSpec r, EngineBudgets b) { return NeoScheduler.hybridInfeasibility(r, b); }

    @Override
    public IterationPlan plan(SchedulerContext ctx) {
        Placement pl = new Placement(ctx, ctx.gpuPool().capacity(), true);
        Predictor p = ctx.predictor();
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
        List<PrefillChunk> prefills = new ArrayList<>(pl.gpuPrefills);
        prefills.addAll(pl.cpuPrefills);
        int width = Placement.width(prefills) + pl.gpuDecodes.size() + cpu.size();
        double pref = 0;
        for (PrefillChunk c : prefills) pref += p.prefillAttention(c.length(), 1, c.attendedPairs());
        var g = ctx.geometry();
        double cpuPath = cpu.isEmpty() ? 0 : p.d2h(cpu.size() * g.qkvBytesPerToken(), 1)
                + p.cpuDecodeAttention(cpu.size(), cpuCtx) + p.h2d(cpu.size() * g.attnOutBytesPerToken(), 1);
        double perLayer = (width == 0 ? 0 : p.linear(width)) + cpuPath + pref + p.gpuDecodeAttention(pl.gpuDecodes.size(), gpuCtx);
        double predicted = g.layers() * perLayer + p.embedAndHead(width, prefills.size() + pl.gpuDecodes.size() + cpu.size())
                + NeoScheduler.swapTime(ctx, pl);
        return new IterationPlan(prefills, pl.gpuDecodes, cpu, 0, pl.swapOut, pl.swapIn, pl.recompute,
                cpu.isEmpty() ? Strategy.GPU_ONLY : Strategy.OFFLOAD_SERIAL, predicted);
    }
}
