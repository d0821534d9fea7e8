package org.apexbench.workloads;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Turns a {@link WorkloadSpec} into requests: lengths, prompts, sampling seeds and arrivals from separate streams. */
final class WorkloadGenerator {
    private WorkloadGenerator() {}

    static Workload generate(WorkloadSpec spec, WorkloadContext ctx) {
        try {
            return build(spec, ctx);
        } catch (IllegalArgumentException e) {
            throw WorkloadSpec.named(spec.text(), e);
        }
    }

    private static Workload build(WorkloadSpec spec, WorkloadContext ctx) {
        if (spec.file() != null) {
            return new Workload(WorkloadFiles.read(java.nio.file.Path.of(spec.file()), ctx, spec.seed()), 0, spec.describe());
        }
        RandomStreams streams = new RandomStreams(spec.seed());
        int n;
        int[] inputs, outputs;
        double[] times;
        String note = "";
        String timeSource;
        if (spec.replay() != null) {
            TraceReplay.Selection sel = spec.replay().select(ctx);
            n = sel.rows().size();
            inputs = new int[n];
            outputs = new int[n];
            for (int i = 0; i < n; i++) {
                inputs[i] = Math.max(1, sel.rows().get(i).input());
                outputs[i] = Math.max(1, sel.rows().get(i).output());
            }
            checkMemory(ctx, inputs, outputs);
            if (spec.arrivals() == null) {
                if (!sel.timed()) {
                    throw new WorkloadException("trace " + spec.replay().trace()
                            + " has no timestamps; give an arrival process (rate=R for Poisson, or arrival=all)");
                }
                times = new double[n];
                double t0 = sel.rows().getFirst().arrivalSec();
                for (int i = 0; i < n; i++) {
                    times[i] = (sel.rows().get(i).arrivalSec() - t0) * spec.replay().scale();
                }
                timeSource = "the trace's timestamps, from its first kept row" + (spec.replay().scale() != 1 ? ", times scale=" + spec.replay().scale() : "");
            } else {
                times = spec.arrivals().times(n, streams.arrivals());
                timeSource = "the arrival process (" + spec.arrivals().describe() + ")";
            }
            note = "; kept " + n + " rows, dropped " + sel.droppedByFilters() + " by filters and "
                    + sel.droppedByContext() + " whose prompt exceeds the context, capped " + sel.outputsCapped() + " outputs";
        } else {
            n = spec.count();
            checkMemory(ctx, new int[] {1}, new int[] {1}, n);   // before drawing lengths: every request has at least one token of each
            inputs = new int[n];
            outputs = new int[n];
            LengthDistribution.Sampler sampler = spec.lengths().bind(ctx);
            SplittableRandom rng = streams.lengths();
            for (int i = 0; i < n; i++) {
                LengthPair p = sampler.next(rng);
                inputs[i] = p.input();
                outputs[i] = p.output();
            }
            checkMemory(ctx, inputs, outputs);
            times = spec.arrivals().times(n, streams.arrivals());
            timeSource = "the arrival process (" + spec.arrivals().describe() + ")";
        }
        if (n > 0 && times[n - 1] > Workload.MAX_ARRIVAL_SEC) {
            throw new WorkloadException("the last of " + n + " arrivals is at " + times[n - 1] + " s by " + timeSource
                    + ", beyond the " + Workload.MAX_ARRIVAL_SEC + " s (about 115 days) a run's clock resolves to the nanosecond; "
                    + "latencies there would all be 0");
        }
        SplittableRandom prompts = streams.prompts();
        SplittableRandom sampling = streams.sampling();
        List<RequestSpec> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int[] ids = syntheticPrompt(prompts, inputs[i], ctx.vocab());
            out.add(new RequestSpec("r" + i, times[i], ids, outputs[i],
                    new SamplingParams(spec.temperature(), spec.topP(), sampling.nextLong())));
        }
        // open-loop processes give non-decreasing times and traces are refused unless sorted (Workload checks)
        return new Workload(out, spec.closedLoopConcurrency(), spec.describe() + note);
    }

    /** Refuses, before any prompt is built, a workload whose requests would not fit the memory the context allows. */
    private static void checkMemory(WorkloadContext ctx, int[] inputs, int[] outputs) {
        checkMemory(ctx, inputs, outputs, 1);
    }

    /** As above, for {@code copies} copies of these lengths (a lower bound before any length is drawn). */
    private static void checkMemory(WorkloadContext ctx, int[] inputs, int[] outputs, long copies) {
        long in = 0, out = 0;
        for (int i = 0; i < inputs.length; i++) {
            in += inputs[i];
            out += outputs[i];
        }
        long n = inputs.length * copies;
        long need = Workload.bytesNeeded(n, in * copies, out * copies);
        if (need > ctx.memoryBytes()) {
            throw new WorkloadException(n + " requests with " + (copies > 1 ? "at least " : "") + in * copies + " prompt and "
                    + out * copies + " output tokens need about "
                    + Workload.gb(need) + " of memory (" + Workload.MEMORY_MODEL + "), more than the " + Workload.gb(ctx.memoryBytes())
                    + " this run may use; ask for fewer requests (count=) or give the JVM more heap (-Xmx)");
        }
    }

    /** Prompt ids uniform in [0, vocab) from the prompts stream. */
    static int[] syntheticPrompt(SplittableRandom rng, int length, int vocab) {
        int[] ids = new int[length];
        for (int j = 0; j < length; j++) {
            ids[j] = rng.nextInt(vocab);
        }
        return ids;
    }
}
