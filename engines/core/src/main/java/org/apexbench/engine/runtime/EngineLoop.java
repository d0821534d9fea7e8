package org.apexbench.engine.runtime;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.engine.InfeasibleRequestException;
import org.apexbench.engine.IterationOutcome;
import org.apexbench.engine.IterationPlan;
import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.Location;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.Scheduler;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.workloads.RequestSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The engine loop (docs/architecture.md#data-flow-of-a-run): admit arrivals by the executor's clock, ask the scheduler for a
 * plan, apply its preemptions, swaps and allocations to the pools, execute, commit tokens, finish
 * requests, record. Every request of a run is checked against the engine's budgets: one this engine could never
 * serve, even alone, is rejected on arrival and recorded as failed with the reason ({@link #rejection}, vLLM's
 * FINISHED_IGNORED), and the others run as if it had not been sent; every other request finishes with exactly
 * its target output length, or the loop fails loudly (a scheduler that stalls is a bug). Requests come from a
 * {@link RequestSource}: a run's workload ({@link #run}) or, in a server, requests arriving from other threads
 * while the loop runs, which may also be cancelled ({@link #serve}, docs/serving.md#the-engine-loop-online).
 */
public final class EngineLoop {
    private static final int MAX_IDLE_PLANS = 4;

    private final Engine engine;
    private final Scheduler scheduler;
    private final Executor executor;
    private final String executorName;
    private final EngineBudgets budgets;
    private final ModelGeometry geometry;
    private final Predictor predictor;
    private final RecordOptions recordOptions;
    private final boolean keepTokenIds;
    private Progress progress;
    /** Where the requests of the loop now running come from, and the KV capacity of its pools (set by {@code drive}). */
    private RequestSource source;
    private KvCapacity kv;

    /** Told how many requests have finished, as each one finishes; must not touch the run. */
    @FunctionalInterface
    public interface Progress {
        void update(int done, int total);
    }

    public EngineLoop(Engine engine, Executor executor, String executorName, ModelGeometry geometry, EngineBudgets budgets,
                      Predictor predictor, RecordOptions recordOptions, boolean keepTokenIds) {
        this.engine = engine;
        this.scheduler = engine.schedulers().get();
        this.executor = executor;
        this.executorName = executorName;
        this.budgets = budgets;
        this.geometry = geometry;
        this.predictor = predictor;
        this.recordOptions = recordOptions;
        this.keepTokenIds = keepTokenIds;
    }

    /** Reports finished requests to {@code p} (null: nobody) during {@link #run}; returns this loop. */
    public EngineLoop onProgress(Progress p) {
        this.progress = p;
        return this;
    }

    /**
     * Why this engine could never serve {@code r}, even alone under its budgets, or null when it could: longer than
     * the model's context, or beyond what the engine's own placement rule can ever hold ({@link
     * org.apexbench.engine.Scheduler#infeasibility}; gpu-only: its peak KV beyond the GPU pool).
     */
    public String rejection(RequestSpec r) { return rejection(scheduler, geometry, budgets, r); }

    /**
     * Why a run of {@code scheduler}'s engine over {@code geometry} under {@code budgets} would reject {@code r} on
     * arrival, or null: the check {@link #rejection(RequestSpec)} makes, without a loop (it depends on the request's
     * lengths alone, not on when it arrives or what else runs).
     */
    public static String rejection(Scheduler scheduler, ModelGeometry geometry, EngineBudgets budgets, RequestSpec r) {
        long total = (long) r.promptLength() + r.outputTokens();
        if (total > geometry.maxContext()) {
            return "prompt " + r.promptLength() + " + output " + r.outputTokens() + " tokens exceed model " + geometry.name()
                    + "'s " + geometry.maxContext() + " positions";
        }
        return scheduler.infeasibility(r, KvCapacity.empty(budgets, geometry));
    }

    /** Throws naming each request of {@code specs} (at most five) this engine could never serve (a server's check). */
    public void checkFeasible(List<RequestSpec> specs) {
        List<String> problems = new ArrayList<>();
        for (RequestSpec r : specs) {
            String why = rejection(r);
            if (why != null) problems.add("request " + r.id() + " (prompt " + r.promptLength() + ", output " + r.outputTokens() + ") " + why);
            if (problems.size() >= 5) break;
        }
        if (!problems.isEmpty()) {
            throw new InfeasibleRequestException("engine " + engine.id() + " cannot serve these requests even alone under"
                    + " the budgets (GPU KV " + budgets.gpuKvBlocks() + " blocks, host KV " + budgets.hostKvBlocks()
                    + " blocks of " + budgets.blockSize() + " tokens, " + budgets.maxTokensPerIteration()
                    + " tokens per iteration): " + String.join("; ", problems));
        }
    }

    public RunResult run(List<RequestSpec> specs) { return run(specs, 0); }

    /**
     * Runs {@code specs}. With {@code closedLoopConcurrency} &gt; 0 the arrival times are ignored: that
     * many clients each send their next request (in list order) when their previous one finishes, and
     * the request's recorded arrival is that moment.
     */
    public RunResult run(List<RequestSpec> specs, int closedLoopConcurrency) {
        if (closedLoopConcurrency < 0) throw new IllegalArgumentException("closed-loop concurrency must be >= 0");
        List<TrackedRequest> all = new ArrayList<>(specs.size());
        String[] rejections = new String[specs.size()];
        for (int i = 0; i < specs.size(); i++) {
            all.add(new TrackedRequest(specs.get(i), i, keepTokenIds));
            String why = rejection(specs.get(i));
            if (why != null) rejections[i] = RequestRecord.REJECTED + why;
        }
        List<IterationRecord> iterations = new ArrayList<>();
        List<SubtaskRecord> subtasks = new ArrayList<>();
        WorkloadRequests source = new WorkloadRequests(all, rejections, closedLoopConcurrency, progress);
        SubtaskWindow window = recordOptions.window();
        Consumer<IterationRecord> sink = !recordOptions.iterations() ? null : window == null ? iterations::add
                : WindowedSubtasks.recorder(window, iterations, subtasks);
        Totals t = drive(source, sink, recordOptions, subtasks);
        if (window != null) WindowedSubtasks.cut(window, subtasks);
        List<RequestRecord> records = new ArrayList<>(all.size());
        for (TrackedRequest r : all) {
            String rejected = rejections[r.index()];
            if (rejected != null) {
                records.add(new RequestRecord(r.id(), r.arrivalSec(), r.promptLength(), r.targetOutput(), new double[0], 0, 0, rejected));
                continue;
            }
            if (!r.finished()) throw new IllegalStateException("request " + r.id() + " did not finish: " + r);
            records.add(new RequestRecord(r.id(), r.arrivalSec(), r.promptLength(), r.targetOutput(),
                    r.tokenTimesView(), r.preemptions(), r.cpuDecodeSteps(), null));
        }
        return new RunResult(engine.id(), engine.description(), executorName, budgets, records, iterations, subtasks, t.tokens(),
                all.isEmpty() ? 0 : t.lastCompletion() - t.firstArrival());
    }

    /**
     * Serves the requests of {@code source} as they arrive from other threads, telling each one's listener its
     * tokens, until the source is closed and everything it admitted has finished or been cancelled
     * (docs/serving.md#the-engine-loop-online). Runs on the calling thread; keeps no records: {@code iterations}
     * (null: nobody) is told every iteration's record instead.
     */
    public void serve(OnlineRequests source, Consumer<IterationRecord> iterations) {
        drive(source, iterations, RecordOptions.NONE, null);
    }

    private record Totals(double firstArrival, double lastCompletion, long tokens) {}

    /** The loop: admit, drop cancelled requests, plan, apply, execute, commit tokens, finish, record. */
    private Totals drive(RequestSource source, Consumer<IterationRecord> iterationSink, RecordOptions records,
                         List<SubtaskRecord> subtasks) {
        List<TrackedRequest> waiting = new ArrayList<>();
        List<TrackedRequest> gpuRunning = new ArrayList<>();
        List<TrackedRequest> hostRunning = new ArrayList<>();
        BlockPool gpuPool = new BlockPool(Location.GPU, budgets.gpuKvBlocks());
        BlockPool hostPool = new BlockPool(Location.HOST, budgets.hostKvBlocks());
        kv = new KvCapacity(budgets, geometry, gpuPool, hostPool);
        LoopContext ctx = new LoopContext(waiting, gpuRunning, hostRunning, kv, geometry, predictor);
        this.source = source;

        double now = source.origin();
        double firstArrival = now;
        double lastCompletion = now;
        long iteration = 0;
        long tokens = 0;
        int idlePlans = 0;
        while (true) {
            source.admit(now, waiting);
            for (TrackedRequest r : source.cancellations()) drop(r, waiting, gpuRunning, hostRunning, gpuPool, hostPool);
            source.observe(waiting.size(), gpuRunning.size() + hostRunning.size(), gpuPool, hostPool);
            if (waiting.isEmpty() && gpuRunning.isEmpty() && hostRunning.isEmpty()) {
                double next = source.nextArrival(now);
                if (Double.isNaN(next)) break;
                now = Math.max(now, next);
                continue;
            }
            ctx.advance(now, iteration);
            IterationPlan plan = scheduler.plan(ctx);
            boolean moves = !plan.swapIn().isEmpty() || !plan.swapOut().isEmpty() || !plan.recompute().isEmpty();
            if (plan.advancesNothing() && !moves) {
                if (gpuRunning.isEmpty() && hostRunning.isEmpty()) {
                    double next = source.nextArrival(now);
                    if (!Double.isNaN(next)) {
                        now = Math.max(now, next);
                        continue;
                    }
                }
                throw new IllegalStateException("engine " + engine.id() + " stalled at t=" + now + "s (iteration " + iteration
                        + "): empty plan with " + waiting.size() + " waiting, " + gpuRunning.size() + " on GPU, "
                        + hostRunning.size() + " on host; GPU blocks free " + gpuPool.free() + "/" + gpuPool.capacity()
                        + ", host " + hostPool.free() + "/" + hostPool.capacity());
            }
            idlePlans = plan.advancesNothing() ? idlePlans + 1 : 0;
            if (idlePlans > MAX_IDLE_PLANS) {
                throw new IllegalStateException("engine " + engine.id() + " made no progress for " + idlePlans
                        + " iterations at t=" + now + "s (only swaps/preemptions)");
            }
            checkDistinct(plan, iteration);
            List<Executor.SwapMove> swaps = apply(plan, waiting, gpuRunning, hostRunning, gpuPool, hostPool);
            Consumer<SubtaskRecord> sink = records.subtasks(iteration) ? subtasks::add : null;
            IterationOutcome out = executor.execute(plan, swaps, iteration, now, sink);
            scheduler.observe(plan, out);
            double end = out.endSec();
            int[] sampled = out.sampled();
            int row = 0;
            for (PrefillChunk c : plan.prefills()) {
                TrackedRequest r = own(c.request());
                boolean completes = c.completes();
                r.advanceKv(c.length());
                r.markProgress(iteration);
                if (completes) {
                    commit(source, r, end, sampled == null ? 0 : sampled[row], iteration);
                    row++;
                    tokens++;
                }
            }
            for (RequestState p : plan.gpuDecodes()) {
                TrackedRequest r = own(p);
                r.advanceKv(1);
                commit(source, r, end, sampled == null ? 0 : sampled[row++], iteration);
                tokens++;
            }
            for (RequestState p : plan.cpuDecodes()) {
                TrackedRequest r = own(p);
                r.advanceKv(1);
                r.countCpuDecode();
                commit(source, r, end, sampled == null ? 0 : sampled[row++], iteration);
                tokens++;
            }
            finish(plan, gpuRunning, hostRunning, gpuPool, hostPool, source, end);
            if (iterationSink != null) {
                iterationSink.accept(new IterationRecord(iteration, now, end, plan.strategy().name(), plan.prefillTokens(),
                        plan.gpuDecodes().size(), plan.cpuDecodes().size(), plan.predictedSec(), out.gpuBusySec(),
                        out.cpuBusySec(), out.gpuStallSec(), out.h2dBytes(), out.d2hBytes(), out.swapInBytes(),
                        out.swapOutBytes(), gpuPool.used(), hostPool.used(), gpuRunning.size() + hostRunning.size(),
                        waiting.size()));
            }
            now = end;
            lastCompletion = end;
            iteration++;
        }
        return new Totals(firstArrival, lastCompletion, tokens);
    }

    private static void commit(RequestSource source, TrackedRequest r, double time, int tokenId, long iteration) {
        r.recordToken(time, tokenId, iteration);
        source.token(r, tokenId, time);
    }

    /** Takes a cancelled request out of the loop: out of its queue, its KV blocks freed. */
    private static void drop(TrackedRequest r, List<TrackedRequest> waiting, List<TrackedRequest> gpuRunning,
                             List<TrackedRequest> hostRunning, BlockPool gpuPool, BlockPool hostPool) {
        waiting.remove(r);
        switch (r.location()) {
            case GPU -> {
                gpuPool.release(r);
                gpuRunning.remove(r);
            }
            case HOST -> {
                hostPool.release(r);
                hostRunning.remove(r);
            }
            case NONE -> { }
        }
        r.place(Location.NONE);
    }

    /** This run's state of a request a plan names (a plan may only name requests of the scheduler's context). */
    private TrackedRequest own(RequestState r) {
        TrackedRequest t = source.tracked(r);
        if (t == null) throw new IllegalStateException("plan names request " + r.id() + ", which is not one of this run's requests");
        return t;
    }

    /** Applies the plan's preemptions, swaps and allocations to the queues and pools; returns the swaps as executed. */
    private List<Executor.SwapMove> apply(IterationPlan plan, List<TrackedRequest> waiting, List<TrackedRequest> gpuRunning,
                                          List<TrackedRequest> hostRunning, BlockPool gpuPool, BlockPool hostPool) {
        for (RequestState p : plan.recompute()) {
            TrackedRequest r = own(p);
            BlockPool pool = poolOf(r, gpuPool, hostPool);
            pool.release(r);
            (r.location() == Location.GPU ? gpuRunning : hostRunning).remove(r);
            r.preemptByRecompute();
            insertByArrival(waiting, r);
        }
        List<Executor.SwapMove> swaps = plan.swapOut().isEmpty() && plan.swapIn().isEmpty() ? List.of() : new ArrayList<>();
        for (RequestState p : plan.swapOut()) {
            TrackedRequest r = own(p);
            swaps.add(move(r, Location.GPU, gpuPool, hostPool));
            gpuRunning.remove(r);
            hostRunning.addFirst(r);
            r.countSwapPreemption();
        }
        for (RequestState p : plan.swapIn()) {
            TrackedRequest r = own(p);
            swaps.add(move(r, Location.HOST, hostPool, gpuPool));
            hostRunning.remove(r);
            gpuRunning.add(r);
        }
        for (PrefillChunk c : plan.prefills()) {
            TrackedRequest r = own(c.request());
            if (c.start() != r.kvTokens() || c.length() > r.remainingTokens()) {
                throw new IllegalStateException("plan's prefill chunk " + c.start() + "+" + c.length() + " of " + r
                        + " does not continue its cached context");
            }
            if (r.location() == Location.NONE) {
                r.place(c.pool());
                waiting.remove(r);
                (c.pool() == Location.GPU ? gpuRunning : hostRunning).add(r);
            } else if (r.location() != c.pool()) {
                throw new IllegalStateException("prefill chunk of " + r.id() + " targets " + c.pool() + " but its KV is on " + r.location());
            }
            poolOf(r, gpuPool, hostPool).growTo(r, kv.blocksFor(r.kvTokens() + c.length()));
        }
        for (RequestState r : plan.gpuDecodes()) decodeBlocks(own(r), Location.GPU, gpuPool);
        for (RequestState r : plan.cpuDecodes()) decodeBlocks(own(r), Location.HOST, hostPool);
        return swaps;
    }

    private void checkDistinct(IterationPlan plan, long iteration) {
        for (PrefillChunk c : plan.prefills()) planned(own(c.request()), iteration);
        for (RequestState r : plan.gpuDecodes()) planned(own(r), iteration);
        for (RequestState r : plan.cpuDecodes()) planned(own(r), iteration);
    }

    private static void planned(TrackedRequest r, long iteration) {
        if (!r.markPlanned(iteration)) {
            throw new IllegalStateException("plan of iteration " + iteration + " advances request " + r.id() + " twice");
        }
        if (r.finished()) throw new IllegalStateException("plan of iteration " + iteration + " advances finished request " + r.id());
    }

    private void decodeBlocks(TrackedRequest r, Location expected, BlockPool pool) {
        if (!r.decoding() || r.location() != expected) {
            throw new IllegalStateException("plan decodes " + r + " on " + expected + " but it is not decoding there");
        }
        pool.growTo(r, kv.blocksAfterStep(r));
    }

    private static Executor.SwapMove move(TrackedRequest r, Location from, BlockPool src, BlockPool dst) {
        if (r.location() != from) throw new IllegalStateException("swap of " + r + " expects it on " + from);
        int[] before = r.blockTable();
        int[] after = dst.take(before.length, r.id());
        src.release(r);
        r.replaceBlocks(after);
        r.place(dst.location());
        return new Executor.SwapMove(r, from, before, after);
    }

    private static BlockPool poolOf(TrackedRequest r, BlockPool gpu, BlockPool host) {
        return switch (r.location()) {
            case GPU -> gpu;
            case HOST -> host;
            case NONE -> throw new IllegalStateException("request " + r.id() + " holds no KV");
        };
    }

    private static void insertByArrival(List<TrackedRequest> waiting, TrackedRequest r) {
        int i = 0;
        while (i < waiting.size() && waiting.get(i).index() < r.index()) i++;
        waiting.add(i, r);
    }

    private void finish(IterationPlan plan, List<TrackedRequest> gpuRunning, List<TrackedRequest> hostRunning,
                        BlockPool gpuPool, BlockPool hostPool, RequestSource source, double end) {
        for (PrefillChunk c : plan.prefills()) finishOne(own(c.request()), gpuRunning, hostRunning, gpuPool, hostPool, source, end);
        for (RequestState r : plan.gpuDecodes()) finishOne(own(r), gpuRunning, hostRunning, gpuPool, hostPool, source, end);
        for (RequestState r : plan.cpuDecodes()) finishOne(own(r), gpuRunning, hostRunning, gpuPool, hostPool, source, end);
    }

    private static void finishOne(TrackedRequest r, List<TrackedRequest> gpuRunning, List<TrackedRequest> hostRunning,
                                  BlockPool gpuPool, BlockPool hostPool, RequestSource source, double end) {
        if (!r.finished() || r.location() == Location.NONE) return;
        if (r.location() == Location.GPU) {
            gpuPool.release(r);
            gpuRunning.remove(r);
        } else {
            hostPool.release(r);
            hostRunning.remove(r);
        }
        r.place(Location.NONE);
        source.finished(r, end);
    }
}
