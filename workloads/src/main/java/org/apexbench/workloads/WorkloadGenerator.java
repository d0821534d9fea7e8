package org.apexbench.workloads;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Turns a {@link WorkloadSpec} into requests: lengths, prompts, sampling seeds and arrivals from separate streams. */
final class WorkloadGenerator {
    private WorkloadGenerator() {}

    static Workload generate(WorkloadSpec spec, WorkloadContext ctx) {
        if (spec.file() != null) {
            return new Workload(WorkloadFiles.read(java.nio.file.Path.of(spec.file()), ctx, spec.seed()), 0, spec.describe());
        }
        RandomStreams streams = new RandomStreams(spec.seed());
        List<LengthPair> lengths = new ArrayList<>();
        double[] times;
        String note = "";
        if (spec.replay() != null) {
            TraceReplay.Selection sel = spec.replay().select(ctx);
            for (Trace.Row r : sel.rows()) {
                lengths.add(new LengthPair(Math.max(1, r.input()), Math.max(1, r.output())));
            }
            if (spec.arrivals() == null) {
                if (!sel.timed()) {
                    throw new IllegalArgumentException("workload '" + spec.text() + "': trace " + spec.replay().trace()
                            + " has no timestamps; give an arrival process (rate=R for Poisson, or arrival=all)");
                }
                times = new double[sel.rows().size()];
                double t0 = sel.rows().getFirst().arrivalSec();
                for (int i = 0; i < times.length; i++) {
                    times[i] = (sel.rows().get(i).arrivalSec() - t0) * spec.replay().scale();
                }
            } else {
                times = spec.arrivals().times(lengths.size(), streams.arrivals());
            }
            note = "; kept " + sel.rows().size() + " rows, dropped " + sel.droppedByFilters() + " by filters and "
                    + sel.droppedByContext() + " whose prompt exceeds the context, capped " + sel.outputsCapped() + " outputs";
        } else {
            LengthDistribution.Sampler sampler = spec.lengths().bind(ctx);
            SplittableRandom rng = streams.lengths();
            for (int i = 0; i < spec.count(); i++) {
                lengths.add(sampler.next(rng));
            }
            times = spec.arrivals().times(spec.count(), streams.arrivals());
        }
        SplittableRandom prompts = streams.prompts();
        SplittableRandom sampling = streams.sampling();
        List<RequestSpec> out = new ArrayList<>(lengths.size());
        for (int i = 0; i < lengths.size(); i++) {
            LengthPair p = lengths.get(i);
            int[] ids = syntheticPrompt(prompts, p.input(), ctx.vocab());
            out.add(new RequestSpec("r" + i, times[i], ids, p.output(),
                    new SamplingParams(spec.temperature(), spec.topP(), sampling.nextLong())));
        }
        // open-loop processes and traces produce non-decreasing times already; a stable sort guards trace files
        out.sort(java.util.Comparator.comparingDouble(RequestSpec::arrivalSec));
        return new Workload(out, spec.closedLoopConcurrency(), spec.describe() + note);
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
