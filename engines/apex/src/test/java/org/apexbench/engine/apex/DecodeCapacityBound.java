package org.apexbench.engine.apex;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.plan.SubBatchLoad;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.sim.SimSetup;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.model.ModelGeometry;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Locale;

/**
 * Not a test: the steady-state capacity bound behind docs/capacity.md's decode-heavy cells, a calculation from the
 * simulated machine's component costs (the cost model that is the simulator's clock) and the pools, no run. Skipped
 * unless {@code -Dapex.bound=CELL;CELL...} is given, each CELL {@code hardware:model:prompt:output:context:tpotMs}
 * (the workload's mean prompt and output, and the token-weighted mean context of a decode step), e.g.
 * {@code mvn -o -q -pl engines/apex -am test -Dtest=DecodeCapacityBound -Dsurefire.failIfNoSpecifiedTests=false
 * -Dapex.bound=a10g-g5.8xlarge:llama-2-7b:256:1024:768:100}.
 *
 * <p>The bound: a request whose TPOT meets S gets a token at least every S on average, and a row gets one token per
 * iteration, so the iterations a request decodes in average at most S. The most tokens per second any schedule gets
 * is then the best decode step's rows per second among steps of at most S, with the GPU pool full of requests at the
 * mean context (G of them, less the 1% watermark) and up to the host pool's worth of host rows at the same context:
 * APEX's own dispatch search (GPU-only, asynchronous overlap, asymmetric pipelining, NEO's packing) with no margin. A
 * request also costs its prompt's prefill, priced as the time one P-token chunk adds to that step; the rate bound is
 * 1 / (O x T / R + prefill). It leaves out swaps, the prefill iterations' effect on TPOT and the arrivals'
 * fluctuation (all in the schedule's favour): it bounds a steady load. A finite run can exceed it by what a queue
 * within the TTFT objective and the run's drain absorb, most where requests live longer than the arrivals span
 * (the burst answers of docs/capacity.md).
 */
class DecodeCapacityBound {
    @Test
    void table() {
        String cells = System.getProperty("apex.bound");
        Assumptions.assumeTrue(cells != null, "bound table only with -Dapex.bound=... (a calculation, not a test)");
        System.out.println("cell | G | host rows max | GPU-only step ms | GPU-only tok/s | best plan | rows | step ms | tok/s | "
                + "prefill ms | bound gpu-only req/s | bound req/s");
        for (String cell : cells.split(";")) {
            String[] a = cell.split(":");
            HardwareSpec hw = HardwareSpecs.builtIn(a[0]);
            ModelGeometry geo = org.apexbench.model.ModelPresets.geometry(a[1]);
            int prompt = Integer.parseInt(a[2]);
            double output = Double.parseDouble(a[3]);
            long context = Long.parseLong(a[4]);
            double slo = Double.parseDouble(a[5]) / 1000;
            EngineBudgets b = SimSetup.budgets(geo, hw, 0, Double.NaN, -1, 512, 2048);
            Predictor p = Predictor.of(SimSetup.cost(hw, geo));
            int usable = b.gpuKvBlocks() - (int) Math.ceil(0.01 * b.gpuKvBlocks());
            int g = (int) Math.min(b.maxRunning(), (long) usable * b.blockSize() / context);
            int host = (int) Math.min(b.maxRunning() - g, (long) b.hostKvBlocks() * b.blockSize() / context);
            SubBatchLoad rows = new SubBatchLoad();
            rows.width = rows.rows = rows.sampled = rows.gpuDecodes = g;
            rows.gpuContext = (long) g * context;
            long[] cpu = new long[host];
            Arrays.fill(cpu, context);
            Dispatch d = new Dispatch(p, geo.layers(), geo.qkvBytesPerToken(), geo.attnOutBytesPerToken(), 0, true);
            Dispatch.Choice gpuOnly = d.choose(rows, cpu, 0, 0, false, slo, true, new Dispatch.Choice());
            double tGpu = gpuOnly.predictedSec, rateGpu = gpuOnly.rate;
            Dispatch.Choice best = d.choose(rows, cpu, host, 0, false, slo, true, new Dispatch.Choice());
            int r = g + best.cpuCount;
            // a P-token prefill chunk in the best step: its linear width and its attention (causal: P(P+1)/2 pairs)
            double prefill = geo.layers() * (p.linear(r + prompt) - p.linear(r)
                    + p.prefillAttention(prompt, 1, (long) prompt * (prompt + 1) / 2))
                    + p.embedAndHead(r + prompt, r + 1) - p.embedAndHead(r, r);
            double prefillGpu = geo.layers() * (p.linear(g + prompt) - p.linear(g)
                    + p.prefillAttention(prompt, 1, (long) prompt * (prompt + 1) / 2))
                    + p.embedAndHead(g + prompt, g + 1) - p.embedAndHead(g, g);
            double boundGpu = 1 / (output / rateGpu + prefillGpu);
            double bound = 1 / (output / best.rate + prefill);
            System.out.println(String.format(Locale.ROOT, "%s %s P=%d O=%.0f ctx=%d S=%.0f | %d | %d | %.1f | %.1f | %s k=%d | %d | %.1f | %.1f | %.1f | %.4f | %.4f",
                    a[0], a[1], prompt, output, context, slo * 1000, g, host, tGpu * 1000, rateGpu,
                    best.strategy, best.cpuCount, r, best.predictedSec * 1000, best.rate, prefill * 1000, boundGpu, bound));
        }
    }
}
