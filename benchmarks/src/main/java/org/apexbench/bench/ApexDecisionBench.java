package org.apexbench.bench;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.Location;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.SchedulerContext;
import org.apexbench.engine.runtime.SchedulerSnapshot;
import org.apexbench.engine.apex.ApexOptions;
import org.apexbench.engine.apex.ApexScheduler;
import org.apexbench.engine.sim.SimSetup;
import org.apexbench.profiler.metrics.Slo;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Cost of one APEX scheduling decision (docs/engines.md#apex: it must stay well under 1% of an iteration): a T4 +
 * Llama-2-7B engine state with a full GPU pool, {@code hostRequests} host-resident decodes of 1-3K
 * tokens and {@code waiting} queued requests, tables from a profile swept over the simulated T4, without SLOs or with
 * a 200 ms TPOT and 10 s TTFT objective (SLO-aware scheduling). Compare the score with the plan's predicted iteration
 * time (tens to hundreds of ms).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 3, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ApexDecisionBench {
    @Param({"64", "512"})
    int hostRequests;

    @Param({"16", "512"})
    int waiting;

    @Param({"false", "true"})
    boolean slo;

    private ApexScheduler scheduler;
    private SchedulerContext context;

    @Setup
    public void setup() {
        HardwareSpec hw = HardwareSpecs.builtIn("t4-g4dn.4xlarge");
        ModelGeometry model = org.apexbench.model.ModelPresets.geometry("llama-2-7b");
        EngineBudgets b = new EngineBudgets(1024, 2048, 236, 200_000, 16);
        Predictor p = org.apexbench.engine.predict.ProfilePredictor.checked(SimSetup.profile(hw, model, b), SimSetup.fingerprint(hw, model, b), "bench");
        SchedulerSnapshot s = new SchedulerSnapshot(model, b, p);
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < 2; i++) s.addDecoding(spec("g" + i, 1000, 1500), Location.GPU, 300, 99);
        for (int i = 0; i < hostRequests; i++) {
            s.addDecoding(spec("h" + i, 900 + rnd.nextInt(200), 2048), Location.HOST, 1 + rnd.nextInt(1500), rnd.nextInt(100));
        }
        for (int i = 0; i < waiting; i++) s.addWaiting(spec("w" + i, 900 + rnd.nextInt(200), 1500));
        context = s.context(100, 10);
        scheduler = new ApexScheduler(slo ? ApexOptions.DEFAULT.withRunSlo(new Slo(10_000, 200, Double.NaN)) : ApexOptions.DEFAULT);
    }

    private static RequestSpec spec(String id, int prompt, int out) {
        return new RequestSpec(id, 0, new int[prompt], out, SamplingParams.GREEDY);
    }

    /**
     * The benchmark thread's CPU time and decisions in each iteration, reported beside the wall-clock score (JMH sums
     * them over iterations and forks; their quotient is the CPU time per decision): on a machine shared with other jobs
     * the wall clock also counts the time the thread waits for a core, the CPU time does not.
     */
    @AuxCounters(AuxCounters.Type.EVENTS)
    @State(Scope.Thread)
    public static class CpuTime {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        public long cpuNanos, decisions;
        private long startNs;

        @Setup(Level.Iteration)
        public void start() {
            cpuNanos = 0;
            decisions = 0;
            startNs = THREADS.getCurrentThreadCpuTime();
        }

        @TearDown(Level.Iteration)
        public void stop() { cpuNanos = THREADS.getCurrentThreadCpuTime() - startNs; }
    }

    @Benchmark
    public IterationPlan decide(CpuTime cpu) {
        cpu.decisions++;
        return scheduler.plan(context);
    }
}
