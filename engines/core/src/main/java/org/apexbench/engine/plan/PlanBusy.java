package org.apexbench.engine.plan;

import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.predict.Predictor;

import java.util.List;

/**
 * What a predictor says a plan keeps each side busy (not its makespan: overlap and stalls do not count),
 * comparable with an executor's {@link IterationOutcome#gpuBusySec()} and {@link IterationOutcome#cpuBusySec()}:
 * <pre>
 *   gpu = embed + head + L * (sum over sub-batches of linear(width) + prefill attention + GPU decode attention)
 *   cpu = L * sum over sub-batches of cpu_attention(CPU rows, their context)
 * </pre>
 * Pipelined plans run pre/post once per sub-batch (the weights are read twice); the split is the plan's
 * {@link IterationPlan#cpuDecodesInFirstSubBatch()}. Call it before the loop advances the plan's requests:
 * contexts are read from the requests as they are at planning time.
 *
 * @param gpuSec GPU busy seconds
 * @param cpuSec CPU attention busy seconds
 */
public record PlanBusy(double gpuSec, double cpuSec) {

    public static PlanBusy predict(IterationPlan plan, Predictor p, int layers) {
        int prefillTokens = 0, sampled = 0;
        long pairs = 0;
        for (PrefillChunk c : plan.prefills()) {
            prefillTokens += c.length();
            pairs += c.attendedPairs();
            if (c.completes()) sampled++;
        }
        // the executors run one prefill-attention subtask per layer over all chunks
        double prefillAttn = p.prefillAttention(prefillTokens, plan.prefills().size(), pairs);
        List<RequestState> gpu = plan.gpuDecodes(), cpu = plan.cpuDecodes();
        long gpuCtx = 0;
        for (RequestState r : gpu) gpuCtx += r.contextLength();
        sampled += gpu.size() + cpu.size();
        int width = prefillTokens + gpu.size() + cpu.size();
        int first = plan.strategy().pipelined() ? plan.cpuDecodesInFirstSubBatch() : cpu.size();
        long ctx0 = 0, ctx1 = 0;
        for (int i = 0; i < cpu.size(); i++) {
            if (i < first) ctx0 += cpu.get(i).contextLength();
            else ctx1 += cpu.get(i).contextLength();
        }
        int second = cpu.size() - first;
        double linear = second > 0 ? p.linear(width - second) + p.linear(second) : p.linear(width);
        double gpuLayer = linear + prefillAttn + p.gpuDecodeAttention(gpu.size(), gpuCtx);
        double cpuLayer = p.cpuDecodeAttention(first, ctx0) + p.cpuDecodeAttention(second, ctx1);
        return new PlanBusy(layers * gpuLayer + p.embedAndHead(width, sampled), layers * cpuLayer);
    }
}
