package org.apexbench.workloads;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Where a workload's (prompt, output) lengths come from. {@link #bind} resolves anything the
 * distribution needs from the run (trace files, model context) into a sampler. Every sampler
 * obeys one context rule: a draw whose prompt alone does not fit ({@code input >= maxContext}) is
 * redrawn, and the output is capped at {@code maxContext - input}; {@link #describe()} says so.
 */
public sealed interface LengthDistribution permits LengthDistribution.ShareGpt, LengthDistribution.LongOutput,
        LengthDistribution.Cot, LengthDistribution.TraceResampled, LengthDistribution.Fixed, LengthDistribution.Mixed {

    /** Draws lengths from the lengths stream. */
    @FunctionalInterface
    interface Sampler {
        LengthPair next(RandomGenerator rng);
    }

    /** The name used in workload specs. */
    String name();

    /** One line for reports: what it is and where it comes from. */
    String describe();

    /** A sampler for this run. */
    Sampler bind(WorkloadContext ctx);

    /** Applies the context rule to a raw sampler (see the interface javadoc). */
    static Sampler fitted(String name, WorkloadContext ctx, Sampler raw) {
        return rng -> {
            for (int attempt = 0; attempt < 1000; attempt++) {
                LengthPair p = raw.next(rng);
                if (p.input() < ctx.maxContext()) {
                    return new LengthPair(p.input(), Math.min(p.output(), ctx.maxContext() - p.input()));
                }
            }
            throw new WorkloadException("workload " + name + ": 1000 draws in a row had prompts longer than the model "
                    + "context (" + ctx.maxContext() + " tokens); this length mix does not suit this model");
        };
    }

    /** Log-normal draw with the given median and log-space sigma, rounded, at least 1. */
    static int logNormal(RandomGenerator rng, double median, double sigma) {
        return (int) Math.max(1, Math.round(median * Math.exp(sigma * rng.nextGaussian())));
    }

    /**
     * ShareGPT-like parametric chat: log-normal prompts with mean 161 and outputs with mean 338
     * tokens (the ShareGPT means in the vLLM paper, SOSP'23 Fig. 11, as quoted by third parties;
     * not checked against the paper), log-space sigma 1.0 for both (heavy-tailed, as the dataset is; our choice).
     */
    record ShareGpt() implements LengthDistribution {
        static final double SIGMA = 1.0;
        public static final double MEAN_INPUT = 161;
        public static final double MEAN_OUTPUT = 338;

        @Override
        public String name() { return "sharegpt"; }

        @Override
        public String describe() {
            return "sharegpt: log-normal prompt (mean 161) and output (mean 338), sigma 1.0 (ShareGPT means per the vLLM paper)";
        }

        @Override
        public Sampler bind(WorkloadContext ctx) {
            // mean of a log-normal = median * exp(sigma^2 / 2)
            double mi = MEAN_INPUT / Math.exp(SIGMA * SIGMA / 2);
            double mo = MEAN_OUTPUT / Math.exp(SIGMA * SIGMA / 2);
            return fitted(name(), ctx, rng -> new LengthPair(logNormal(rng, mi, SIGMA), logNormal(rng, mo, SIGMA)));
        }
    }

    /** Decode-heavy: prompt uniform in 900..1100 (1000 +/- 10%, NEO's synthetic grid), output uniform in 1024..2048. */
    record LongOutput() implements LengthDistribution {
        @Override
        public String name() { return "long-output"; }

        @Override
        public String describe() { return "long-output: prompt uniform 900-1100, output uniform 1024-2048"; }

        @Override
        public Sampler bind(WorkloadContext ctx) {
            return fitted(name(), ctx, rng -> new LengthPair(rng.nextInt(900, 1101), rng.nextInt(1024, 2049)));
        }
    }

    /**
     * Chain-of-thought / reasoning: short log-normal prompts (median 150, sigma 0.5) and long
     * log-normal outputs (median 1500, sigma 0.6) capped at {@code outputCap} (default 4096) and at
     * the context: reasoning models' ~4K-token mean outputs (MLPerf deepseek-r1: 4,043) scaled to
     * 7B-class context limits (4,096 tokens for Llama-2-7B), heavy-tailed with a hard cap as such outputs are.
     */
    record Cot(int outputCap) implements LengthDistribution {
        public static final int DEFAULT_CAP = 4096;

        public Cot {
            if (outputCap < 1) {
                throw new WorkloadException("cot: output cap must be >= 1, got " + outputCap);
            }
        }

        @Override
        public String name() { return "cot"; }

        @Override
        public String describe() {
            return "cot: log-normal prompt (median 150, sigma 0.5), log-normal output (median 1500, sigma 0.6) capped at "
                    + outputCap + " and the context";
        }

        @Override
        public Sampler bind(WorkloadContext ctx) {
            return fitted(name(), ctx, rng -> new LengthPair(logNormal(rng, 150, 0.5),
                    Math.min(outputCap, logNormal(rng, 1500, 0.6))));
        }
    }

    /**
     * Lengths resampled (uniformly, with replacement) from a trace's (prompt, output) pairs, e.g.
     * {@code chat} = the Azure 2023 conversation trace (splitwise_conv.csv: prompt mean 1155,
     * output mean 211).
     */
    record TraceResampled(String name, String trace) implements LengthDistribution {
        @Override
        public String describe() { return name + ": (prompt, output) pairs resampled from trace " + trace; }

        @Override
        public Sampler bind(WorkloadContext ctx) {
            List<Trace.Row> rows = Trace.named(trace, ctx).rows();
            return fitted(name, ctx, rng -> {
                Trace.Row r = rows.get(rng.nextInt(rows.size()));
                return new LengthPair(Math.max(1, r.input()), Math.max(1, r.output()));
            });
        }
    }

    /** Every request the same lengths (synthetic grids). */
    record Fixed(int input, int output) implements LengthDistribution {
        public Fixed {
            new LengthPair(input, output);
        }

        @Override
        public String name() { return "synthetic"; }

        @Override
        public String describe() { return "synthetic: prompt " + input + ", output " + output; }

        @Override
        public Sampler bind(WorkloadContext ctx) {
            if ((long) input + output > ctx.maxContext()) {
                throw new WorkloadException("workload synthetic: input " + input + " + output " + output
                        + " exceeds the model context (" + ctx.maxContext() + ")");
            }
            LengthPair p = new LengthPair(input, output);
            return rng -> p;
        }
    }

    /** A weighted mix: each request picks a component by weight, then draws from it (same stream). */
    record Mixed(List<Component> components) implements LengthDistribution {
        /** One component with its weight (weights need not sum to 1; they are normalised). */
        public record Component(LengthDistribution distribution, double weight) {
            public Component {
                if (!(weight > 0) || Double.isInfinite(weight)) {
                    throw new WorkloadException("mixed: weight of " + distribution.name() + " must be > 0, got " + weight);
                }
            }
        }

        public Mixed {
            if (components.isEmpty()) {
                throw new WorkloadException("mixed: needs at least one component");
            }
            if (!Double.isFinite(components.stream().mapToDouble(Component::weight).sum())) {
                throw new WorkloadException("mixed: the weights must have a finite sum");
            }
            components = List.copyOf(components);
        }

        @Override
        public String name() { return "mixed"; }

        @Override
        public String describe() {
            double total = components.stream().mapToDouble(Component::weight).sum();
            return "mixed: " + String.join(", ", components.stream().map(c -> String.format(java.util.Locale.ROOT, "%.3f x (%s)",
                    c.weight() / total, c.distribution().describe())).toList());
        }

        @Override
        public Sampler bind(WorkloadContext ctx) {
            double total = components.stream().mapToDouble(Component::weight).sum();
            double[] cumulative = new double[components.size()];
            Sampler[] samplers = new Sampler[components.size()];
            double acc = 0;
            for (int i = 0; i < samplers.length; i++) {
                acc += components.get(i).weight() / total;
                cumulative[i] = acc;
                samplers[i] = components.get(i).distribution().bind(ctx);
            }
            return rng -> {
                double u = rng.nextDouble();
                int i = 0;
                while (i < cumulative.length - 1 && u >= cumulative[i]) {
                    i++;
                }
                return samplers[i].next(rng);
            };
        }
    }
}
