package org.apexbench.harness;

import java.io.PrintWriter;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.apexbench.engine.Engine;
import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Scheduler;
import org.apexbench.engine.SchedulerContext;
import org.apexbench.workloads.RequestSpec;

/**
 * Not a test: a read-only trace of APEX's per-iteration decision (the scheduler's package-private state after each
 * plan, read by reflection), for diagnosing a capacity cell. Wraps the engine's scheduler; changes no decision.
 */
final class ApexTrace {
    private ApexTrace() {}

    /** {@code engine} (an apex engine) with each plan's decision written to {@code out} as one CSV row. */
    static Engine traced(Engine engine, double tpotSloSec, PrintWriter out) {
        out.println("iteration,now_s,waiting,gpu_running,host_running,host_decoding,must_run,cpu_run,must_left,strategy,predicted_s,choice_tpot_s,"
                + "prefill_chunks,prefill_tokens,new_gpu,new_host,min_slack_s,behind");
        return new Engine(engine.id(), engine.description(), () -> new Tracer(engine.schedulers().get(), tpotSloSec, out),
                engine.launchSecPerStage(), engine.hostLoop());
    }

    private static final class Tracer implements Scheduler {
        private final Scheduler s;
        private final double slo;
        private final PrintWriter out;
        private final Method mustRun, choice;
        private Field tpot;
        private double mean;

        Tracer(Scheduler s, double slo, PrintWriter out) {
            this.s = s;
            this.slo = slo;
            this.out = out;
            try {
                mustRun = s.getClass().getDeclaredMethod("mustRun");
                choice = s.getClass().getDeclaredMethod("choice");
                mustRun.setAccessible(true);
                choice.setAccessible(true);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }

        /** ApexScheduler.tpotSlackSec. */
        private static double slack(RequestState r, double now, double slo, double it) {
            if (r.generated() < 1) return -1;
            int remaining = r.targetOutput() - r.generated();
            double deadline = r.tokenTime(0) + slo * Math.max(1, r.targetOutput() - 1);
            return deadline - now - it * (remaining + 1);
        }

        @Override
        public IterationPlan plan(SchedulerContext ctx) {
            double now = ctx.nowSec();
            double meanBefore = mean;
            IterationPlan p = s.plan(ctx);
            int must;
            double choiceTpot;
            try {
                must = (int) mustRun.invoke(s);
                Object c = choice.invoke(s);
                if (tpot == null) { tpot = c.getClass().getDeclaredField("tpotSec"); tpot.setAccessible(true); }
                choiceTpot = tpot.getDouble(c);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
            int decoding = 0, behind = 0, mustLeft = 0;
            double minSlack = Double.POSITIVE_INFINITY;
            Set<RequestState> run = new HashSet<>(p.cpuDecodes());
            for (RequestState r : ctx.hostRunning()) {
                if (!r.decoding()) continue;
                decoding++;
                double sl = slack(r, now, slo, meanBefore);
                minSlack = Math.min(minSlack, sl);
                if (sl < 0 && !run.contains(r)) mustLeft++;
                if (r.generated() > 1 && (now - r.tokenTime(0)) / (r.generated() - 1) > slo) behind++;
            }
            int chunks = 0, tokens = 0, newGpu = 0, newHost = 0;
            for (PrefillChunk c : p.prefills()) {
                chunks++;
                tokens += c.length();
                if (c.start() == 0) { if (c.pool() == Location.GPU) newGpu++; else newHost++; }
            }
            out.println(String.format(Locale.ROOT, "%d,%.4f,%d,%d,%d,%d,%d,%d,%d,%s,%.4f,%.4f,%d,%d,%d,%d,%.4f,%d", ctx.iteration(), now,
                    ctx.waiting().size(), ctx.gpuRunning().size(), ctx.hostRunning().size(), decoding, must, p.cpuDecodes().size(),
                    mustLeft, p.strategy(), p.predictedSec(), choiceTpot, chunks, tokens, newGpu, newHost,
                    Double.isFinite(minSlack) ? minSlack : Double.NaN, behind));
            mean = mean == 0 ? p.predictedSec() : 0.95 * mean + 0.05 * p.predictedSec();   // ApexScheduler.ITERATION_DECAY
            return p;
        }

        @Override
        public void observe(IterationPlan plan, IterationOutcome outcome) { s.observe(plan, outcome); }

        @Override
        public String infeasibility(RequestSpec r, KvCapacity kv) { return s.infeasibility(r, kv); }
    }
}
