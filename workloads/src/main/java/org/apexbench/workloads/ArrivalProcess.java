package org.apexbench.workloads;

import java.util.random.RandomGenerator;

/**
 * When requests arrive. Open-loop processes give absolute arrival times computed up front (so lag
 * never accumulates); {@link ClosedLoop} gives every request time 0 and a concurrency the engine
 * loop honours (see {@link Workload#closedLoopConcurrency()}). Trace timestamps are not a process:
 * trace replay keeps the trace's own times (scaled).
 */
public sealed interface ArrivalProcess permits ArrivalProcess.AllAtOnce, ArrivalProcess.PoissonArrivals,
        ArrivalProcess.Gamma, ArrivalProcess.Uniform, ArrivalProcess.ClosedLoop, ArrivalProcess.SpanNormalized {

    /** Arrival times of {@code n} requests, non-decreasing, the first gap drawn from 0. */
    double[] times(int n, RandomGenerator rng);

    String describe();

    /** Offline throughput: everything arrives at t = 0 (vLLM's default request rate inf). */
    record AllAtOnce() implements ArrivalProcess {
        @Override
        public double[] times(int n, RandomGenerator rng) { return new double[n]; }

        @Override
        public String describe() { return "all at once"; }
    }

    /** Poisson arrivals at {@code rate()} requests per second, whichever stream draws them (vLLM's burstiness 1). */
    sealed interface PoissonArrivals extends ArrivalProcess permits Poisson, NumpyPoisson {
        double rate();
    }

    /** Poisson arrivals: exponential gaps with mean 1/rate. The first request arrives after one gap. */
    record Poisson(double rate) implements PoissonArrivals {
        public Poisson {
            positiveRate(rate);
        }

        @Override
        public double[] times(int n, RandomGenerator rng) {
            double[] t = new double[n];
            double now = 0;
            for (int i = 0; i < n; i++) {
                now += rng.nextExponential() / rate;
                t[i] = now;
            }
            return t;
        }

        @Override
        public String describe() { return "Poisson, " + rate + " req/s"; }
    }

    /**
     * Poisson arrivals drawn as a Python client with numpy draws them: {@code numpy.random.seed(seed)}, then
     * {@code numpy.random.exponential(1 / rate, n)} as the gaps, the first request sent at t = 0 and each next one a gap
     * later (NEO's {@code evaluation/benchmark.py}). Reproduces such an experiment's own arrival times; the run's
     * random streams are not used.
     */
    record NumpyPoisson(double rate, long seed) implements PoissonArrivals {
        public NumpyPoisson {
            positiveRate(rate);
            new NumpyLegacyRandom(seed);   // the seed's range check, with numpy's message
        }

        @Override
        public double[] times(int n, RandomGenerator rng) {
            NumpyLegacyRandom numpy = new NumpyLegacyRandom(seed);
            double[] t = new double[n];
            for (int i = 1; i < n; i++) {
                t[i] = t[i - 1] + numpy.nextExponential(1 / rate);
            }
            return t;
        }

        @Override
        public String describe() { return "Poisson, " + rate + " req/s, numpy's legacy draw with seed " + seed + " (first at t = 0)"; }
    }

    /**
     * Bursty arrivals: Gamma-distributed gaps with mean 1/rate and coefficient of variation
     * {@code cv} (shape 1/cv^2, scale cv^2/rate). cv 1 is Poisson, cv &gt; 1 burstier, cv &lt; 1
     * more regular. vLLM's {@code --burstiness} b corresponds to cv = 1/sqrt(b).
     */
    record Gamma(double rate, double cv) implements ArrivalProcess {
        public Gamma {
            positiveRate(rate);
            if (!(cv > 0) || Double.isInfinite(cv)) {
                throw new WorkloadException("gamma arrivals: cv must be > 0, got " + cv);
            }
        }

        @Override
        public double[] times(int n, RandomGenerator rng) {
            double shape = 1 / (cv * cv);
            double scale = 1 / (rate * shape);
            double[] t = new double[n];
            double now = 0;
            for (int i = 0; i < n; i++) {
                now += GammaSampler.sample(rng, shape) * scale;
                t[i] = now;
            }
            return t;
        }

        @Override
        public String describe() { return "Gamma, " + rate + " req/s, cv " + cv; }
    }

    /** Constant spacing 1/rate, first at t = 0. */
    record Uniform(double rate) implements ArrivalProcess {
        public Uniform {
            positiveRate(rate);
        }

        @Override
        public double[] times(int n, RandomGenerator rng) {
            double[] t = new double[n];
            for (int i = 0; i < n; i++) {
                t[i] = i / rate;
            }
            return t;
        }

        @Override
        public String describe() { return "uniform, " + rate + " req/s"; }
    }

    /**
     * Closed loop with {@code concurrency} clients: every request is ready at t = 0, and the engine
     * loop keeps at most {@code concurrency} of them in the system, admitting the next (in list
     * order) when one finishes; that request's arrival is then the moment its slot freed.
     */
    record ClosedLoop(int concurrency) implements ArrivalProcess {
        public ClosedLoop {
            if (concurrency < 1) {
                throw new WorkloadException("closed loop: concurrency must be >= 1, got " + concurrency);
            }
        }

        @Override
        public double[] times(int n, RandomGenerator rng) { return new double[n]; }

        @Override
        public String describe() { return "closed loop, concurrency " + concurrency; }
    }

    /**
     * vLLM's span normalisation: draw the process, then rescale all times so the last arrival lands
     * exactly at n/rate (vLLM does this to cut the run-to-run throughput spread). The result is the
     * process conditioned on its span, not free-running; reports say which ran.
     */
    record SpanNormalized(ArrivalProcess process) implements ArrivalProcess {
        public SpanNormalized {
            if (!(process instanceof Poisson || process instanceof Gamma)) {
                throw new WorkloadException("span normalisation applies to Poisson or Gamma arrivals, not " + process.describe());
            }
        }

        private double rate() {
            return process instanceof Poisson p ? p.rate() : ((Gamma) process).rate();
        }

        @Override
        public double[] times(int n, RandomGenerator rng) {
            double[] t = process.times(n, rng);
            if (n > 0 && t[n - 1] > 0) {
                double f = n / rate() / t[n - 1];
                for (int i = 0; i < n; i++) {
                    t[i] *= f;
                }
            }
            return t;
        }

        @Override
        public String describe() { return process.describe() + ", span-normalised (last arrival at n/rate)"; }
    }

    private static void positiveRate(double rate) {
        if (!(rate > 0) || Double.isInfinite(rate)) {
            throw new WorkloadException("arrival rate must be a finite number > 0 req/s, got " + rate);
        }
    }
}
