package org.apexbench.engine.plan;

import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.predict.Predictor;

/**
 * What a predictor says a plan keeps each side busy (not its makespan: overlap and stalls do not count),
 * comparable with an executor's {@link IterationOutcome#gpuBusySec()} and {@link IterationOutcome#cpuBusySec()}:
 * the plan's {@link LayerLayout} busy sums over its {@link SubBatches}, priced as the executors run them
 * (one prefill-attention subtask per layer over all chunks; CPU busy is CPU attention, copies not counted):
 * <pre>
 *   gpu = L * (sum over sub-batches of linear(width) + prefill attention + GPU decode attention) + embed + head
 *   cpu = L * sum over sub-batches of cpu_attention(CPU rows, their context)
 * </pre>
 * Call it before the loop advances the plan's requests: contexts are read from the requests as they are at
 * planning time.
 *
 * @param gpuSec GPU busy seconds
 * @param cpuSec CPU attention busy seconds
 */
public record PlanBusy(double gpuSec, double cpuSec) {

    public static PlanBusy predict(IterationPlan plan, Predictor p, int layers) {
        SubBatches s = new SubBatches().fill(plan);
        SubBatches.Shape b0 = s.get(0), b1 = s.get(1);
        LaneCosts c = new LaneCosts();
        c.linear[0] = p.linear(b0.width());
        c.linear[1] = b1.isEmpty() ? 0 : p.linear(b1.width());
        c.prefill[0] = p.prefillAttention(b0.prefillTokens, b0.prefillSeqs, b0.prefillPairs);
        c.gpuDecode[0] = p.gpuDecodeAttention(b0.gpuDecodes, b0.gpuContext);
        c.cpuPath[0] = p.cpuDecodeAttention(b0.cpuDecodes, b0.cpuContext);
        c.cpuPath[1] = p.cpuDecodeAttention(b1.cpuDecodes, b1.cpuContext);
        LayerLayout layout = LayerLayout.of(plan.strategy());
        return new PlanBusy(layers * layout.gpuBusy(c) + p.embedAndHead(s.width(), s.sampled()), layers * layout.cpuBusy(c));
    }
}
