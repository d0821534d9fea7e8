package org.apexbench.engine.apex;

import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.SchedulerContext;
import org.apexbench.engine.plan.SubBatchLoad;
import org.apexbench.engine.policy.Placement;
import org.apexbench.engine.policy.PlacementRules;
import org.apexbench.engine.predict.Predictor;

import java.util.List;
import java.util.function.Predicate;

/**
 * APEX's rule for admitting a waiting request to the host pool (the paper says "when predicted to pay"), as
 * {@link Placement}'s host-admission decision of one iteration. By default one iteration's view: the best dispatch
 * already uses every host request and one more CPU row raises its rows per second by the margin. With
 * {@code amortizedAdmission}, {@link #admissionPays}. Each admission extends the dispatch decision by one
 * hypothetical CPU row (the newcomer's first decode).
 */
final class HostAdmission implements Placement.HostAdmission {
    private final ApexScheduler s;
    private final Dispatch dispatch;
    private final SubBatchLoad gpu;
    private final Dispatch.Choice choice;
    private final Predictor p;
    private final int layers, n;
    private final double fixed;
    private final boolean starving;
    private final List<PrefillChunk> prefills;
    private final SchedulerContext ctx;
    private final Placement pl;
    /** The placement's prefill chunks of every pool as they grow this iteration: continued and admitted, GPU and host. */
    private final List<List<PrefillChunk>> underWay;
    private final PlacementRules rules;
    private long[] admittedCtx = new long[16];
    private int admitted;
    private long cpuSum;
    /** With a TPOT SLO: whether this iteration's first SLO admission test has come ({@link #firstSloTest}). */
    private boolean sloTested;
    /** With a TPOT SLO: whether the steady decode step ({@link #steadyStepMeetsSlo}) has been begun this iteration. */
    private boolean steadyBegun;
    /** With a TPOT SLO: nothing ran at the first SLO admission test (the first admission then always passes). */
    private boolean idle;
    /**
     * With a TPOT SLO, until the steady step is begun: the host rows it takes beyond the CPU candidates and continued
     * host prefills, the admissions before the first SLO test and those the TTFT test made since.
     */
    private long[] steadyCtx = new long[16];
    private int steadyRows;
    /** With a TPOT SLO: rows per second of the steady decode step with the host admissions so far, and its predicted time. */
    private double steadyRate, steadyStepSec;
    /**
     * With a TTFT SLO and no TPOT SLO: the iteration time the queue forecast runs at, fixed at its first use this
     * iteration (0: not yet). With a TPOT SLO the forecast prices the steady step and the prefills instead.
     */
    private double forecastIterationSec;
    /**
     * Whether the choice and the dispatch's state are {@link #decide()}'s over the rows as they are now. Deciding is
     * the decision's costliest step (one pass over every CPU candidate) and its answer is needed only when an admission
     * test reads it or nothing is admitted ({@link #decided()}): the scheduler decides again over the admitted rows.
     */
    private boolean decided;

    HostAdmission(ApexScheduler s, Predictor p, int layers, int n, double fixed, boolean starving, List<PrefillChunk> prefills,
                  SchedulerContext ctx, Placement pl, PlacementRules rules) {
        this.s = s;
        this.ctx = ctx;
        this.pl = pl;
        this.underWay = List.of(pl.gpuContinued, pl.hostContinued, pl.gpuAdmitted, pl.hostAdmitted);
        this.rules = rules;
        this.dispatch = s.dispatch();
        this.gpu = s.gpuRows();
        this.choice = s.choice();
        this.p = p;
        this.layers = layers;
        this.n = n;
        this.fixed = fixed;
        this.starving = starving;
        this.prefills = prefills;
        long[] cpuCtx = s.cpuContexts();
        for (int i = 0; i < n; i++) cpuSum += cpuCtx[i];
    }

    /** The dispatch over the CPU candidates plus one row per host admission so far. */
    void decide() {
        var o = s.options();
        long[] cpuCtx = s.cpuContexts();
        dispatch.begin(gpu, cpuCtx, n, fixed, starving, o.tpotSloSec(), o.pipeline());
        boolean slo = o.hasTpotSlo();
        for (int i = 0; i < n; i++) dispatch.add(cpuCtx[i], i < s.mustRun());
        for (int i = 0; i < admitted; i++) dispatch.add(admittedCtx[i], slo);
        dispatch.result(choice);
        decided = true;
    }

    /**
     * {@link #decide()} unless its answer is still current: nothing it reads (the GPU rows, the admissions) has changed
     * since, so a later decision equals the one it stands for.
     */
    void decided() {
        if (!decided) decide();
    }

    @Override
    public boolean admit(PrefillChunk hc) {
        RequestState r = hc.request();
        // waiting for GPU memory cannot help a request the GPU pool can never hold: the host is its only place, and
        // refusing it would stop the FCFS queue behind it for good
        KvCapacity kv = ctx.kv();
        if (kv.peakBlocks(r.spec()) > kv.gpuBlocks()) return admitToHost(hc);
        var o = s.options();
        if (o.hasTpotSlo()) {
            // with a TPOT objective, gpu-only's candidate (r waits for GPU memory) unless NEO's (the host takes r now)
            // raises the throughput of the decode step with every host request by the margin without breaking the
            // objective: that step meets it, and this iteration, lengthened by r's prefill, leaves every running
            // request within its TPOT budget; or unless waiting is predicted to miss the TTFT objective (the rule
            // without an objective never overrides a predicted TPOT miss). The steady step takes r in either case.
            firstSloTest();
            // a request that would miss its TTFT waiting is admitted whatever the TPOT test says: until the steady step is
            // begun, and when the TTFT test reads nothing the TPOT test changes (its iteration time is fixed), it goes
            // first, and the steady step takes r when a later test begins it (a full pass over the candidates saved when
            // no test follows)
            boolean ttftFirst = o.hasTtftSlo() && !steadyBegun;
            if (ttftFirst && waitingMissesTtft(r)) {
                if (pacedByTtft(r)) return false;
                steadyTake(r.contextLength() + 1L);
                return admitToHost(hc);
            }
            boolean meets = steadyStepMeetsSlo(r);
            if (meets && s.steadyChoice().rate > steadyRate * (1 + dispatch.margin()) && prefillKeepsTpotBudgets(hc)
                    || !ttftFirst && o.hasTtftSlo() && waitingMissesTtft(r) && !pacedByTtft(r)) {
                steadyRate = s.steadyChoice().rate;
                steadyStepSec = s.steadyChoice().predictedSec;
                return admitToHost(hc);
            }
            s.steadyDispatch().restore();
            return false;
        }
        // with only a TTFT objective: admit when waiting for GPU memory is predicted to miss it, else by the rule below
        if (o.hasTtftSlo() && waitingMissesTtft(r)) return admitToHost(hc);
        if (o.amortizedAdmission()) {
            // judge the admission with its prefill in this iteration's GPU rows (it lengthens the windows the CPU
            // hides behind) and the newcomer as a CPU row standing for its future decode steps
            decided();
            double tNow = choice.predictedSec;
            int rowsNow = gpu.rows + choice.cpuCount;
            gpu.addPrefill(hc, p, 1);
            decide();
            double tP = choice.predictedSec;
            int rowsP = gpu.rows + choice.cpuCount;
            dispatch.add(r.contextLength() + 1L);
            dispatch.result(choice);
            // a newcomer the dispatch would not run yet costs, once the CPU is the bottleneck, about its share of
            // the CPU's time per step
            boolean runs = choice.used[dispatch.candidates() - 1];
            double perRow = runs ? Math.max(0, choice.predictedSec - tP)
                    : layers * (p.cpuDecodeAttention(n + admitted + 1, cpuSum + r.contextLength() + 1L)
                    - p.cpuDecodeAttention(Math.max(1, n + admitted), Math.max(1, cpuSum)));
            gpu.addPrefill(hc, p, -1);
            if (!(runs || rowsP - rowsNow > 1)
                    || !admissionPays(Math.max(0, r.targetOutput() - r.generated() - 1), tNow, rowsNow, tP, rowsP, perRow)) {
                decided = false;
                return false;
            }
            return admitToHost(hc);
        }
        // one iteration's view: the best dispatch uses every CPU row and one more raises the rate by the margin
        decided();
        if (choice.cpuCount < dispatch.candidates()) return false;
        double before = choice.rate;
        dispatch.save();
        dispatch.add(r.contextLength() + 1L);
        dispatch.result(choice);
        if (!(choice.rate > before * (1 + dispatch.margin())) || choice.cpuCount < dispatch.candidates()) {
            dispatch.restore();
            dispatch.result(choice);
            return false;
        }
        s.addPrefill(prefills, hc, p);
        record(r);
        return true;
    }

    /**
     * With a TPOT objective, a GPU admission's prefill is priced against the running requests' TPOT budgets as a host
     * admission's is ({@link GpuAdmissionGate}): this iteration with and without it (the continued prefills and the GPU
     * admissions before it in both), and the steady decode step with it as a GPU decode. Runs before any host
     * admission is tested (Placement admits FCFS, to the GPU first), so the steady step's scratch is free here.
     */
    @Override
    public boolean admitToGpu(PrefillChunk c) {
        var o = s.options();
        if (!o.hasTpotSlo()) return true;
        long[] cpuCtx = s.cpuContexts();
        double now = ctx.nowSec(), slo = o.tpotSloSec(), ttft = o.hasTtftSlo() ? o.ttftSloSec() : Double.NaN;
        List<List<RequestState>> running = List.of(ctx.gpuRunning(), ctx.hostRunning());
        // the passes below are most of a decision's cost; skipped where the gate admits whatever they predict
        boolean priced = !GpuAdmissionGate.admitsUnpriced(now, ttft, running, c.request());
        // the GPU rows take the same additions and subtractions whether priced or not: x + a - a need not be x, and
        // the passes after this one read those bits
        for (PrefillChunk a : pl.gpuAdmitted) gpu.addPrefill(a, p, 1);
        double without = priced ? dispatch.choose(gpu, cpuCtx, n, s.mustRun(), fixed, starving, slo, o.pipeline(), choice).predictedSec : 0;
        gpu.addPrefill(c, p, 1);
        double with = priced ? dispatch.choose(gpu, cpuCtx, n, s.mustRun(), fixed, starving, slo, o.pipeline(), choice).predictedSec : 0;
        gpu.addPrefill(c, p, -1);
        for (PrefillChunk a : pl.gpuAdmitted) gpu.addPrefill(a, p, -1);
        decided = false;
        if (!priced || GpuAdmissionGate.admitsBeforeBudgets(now, with, without, ttft, c.request())) return true;
        SubBatchLoad g = fillSteadyGpuRows();
        g.addGpuDecode(c.request());
        double step = beginSteadyRows(g).result(s.steadyChoice()).predictedSec;
        int horizon = horizon(r -> false);
        if (horizon <= 1) return !GpuAdmissionGate.waits(now, with, without, step, slo, ttft, running, c.request(), r -> 0);
        // the prefills to come inside each running request's window, as host admission reserves them, with c on the GPU
        // (its steady rows are g; no host admission comes before a GPU one, so none is among the rows or under way)
        PrefillForecast pf = prefillForecast(horizon);
        RequestState newcomer = c.request();
        reserveUnderWay(pf, c);
        GpuQueueForecast f = queueForecast();
        f.addRunning(newcomer.targetOutput(), ctx.kv().blocksAfterStep(newcomer));
        reserveQueueBehind(pf, f, newcomer, horizon);
        return !GpuAdmissionGate.waits(now, with, without, step, slo, ttft, running, newcomer,
                r -> pf.reservedThrough(r.targetOutput() - r.generated() - 1));
    }

    /**
     * SLO admission: whether the decode step that follows, with {@code r} admitted, has a plan that meets the TPOT
     * SLO: one no longer than the SLO that runs every host request whose TPOT budget cannot wait an iteration, every
     * request admitted to the host this iteration and {@code r} (a newcomer has banked nothing). {@code r} stays in
     * that step for the next admission's test; the caller restores the step if it refuses {@code r}. The step is the
     * GPU requests' decodes (requests mid-prefill and this iteration's GPU admissions as decodes) and the CPU
     * candidates; this iteration's prefills are left out here ({@link #prefillKeepsTpotBudgets} prices them). With
     * nothing running the first request passes, so an SLO no plan can meet never stops the queue.
     */
    private boolean steadyStepMeetsSlo(RequestState r) {
        Dispatch steady = s.steadyDispatch();
        beginSteady();
        Dispatch.Choice c = s.steadyChoice();
        steady.save();
        steady.add(r.contextLength() + 1L, true);
        steady.result(c);
        return idle || c.tpotSec <= s.options().tpotSloSec();
    }

    /**
     * At this iteration's first SLO admission test: the steady step's GPU rows (the GPU requests' decodes, requests
     * mid-prefill and this iteration's GPU admissions as decodes; none is added after a host admission is tested), the
     * host admissions so far as its rows, and whether nothing runs.
     */
    private void firstSloTest() {
        if (sloTested) return;
        sloTested = true;
        SubBatchLoad g = fillSteadyGpuRows();
        for (int i = 0; i < admitted; i++) steadyTake(admittedCtx[i]);
        idle = g.rows == 0 && n + pl.hostContinued.size() + steadyRows == 0;
    }

    /**
     * The steady decode step with every host request and the host admissions so far, once per iteration: at the first
     * SLO admission test that needs it, its TPOT test or (with a TTFT objective) the queue forecast that prices it.
     */
    private void beginSteady() {
        if (steadyBegun) return;
        Dispatch steady = beginSteadyRows(s.steadyGpuRows());
        for (int i = 0; i < steadyRows; i++) steady.add(steadyCtx[i], true);
        steadyBegun = true;
        readSteady();
    }

    /**
     * The steady step's GPU rows, cleared and filled: the GPU requests' decodes, requests mid-prefill and this
     * iteration's GPU admissions so far, as decodes.
     */
    private SubBatchLoad fillSteadyGpuRows() {
        SubBatchLoad g = s.steadyGpuRows().clear();
        for (RequestState d : pl.gpuDecodes) g.addGpuDecode(d);
        for (PrefillChunk d : pl.gpuContinued) g.addGpuDecode(d.request());
        for (PrefillChunk d : pl.gpuAdmitted) g.addGpuDecode(d.request());
        return g;
    }

    /** The steady step's dispatch begun over GPU rows {@code g} with every CPU candidate and continued host prefill as must-run rows. */
    private Dispatch beginSteadyRows(SubBatchLoad g) {
        Dispatch steady = s.steadyDispatch();
        long[] cpuCtx = s.cpuContexts();
        steady.begin(g, cpuCtx, n, 0, false, s.options().tpotSloSec(), s.options().pipeline());
        for (int i = 0; i < n; i++) steady.add(cpuCtx[i], true);
        for (PrefillChunk d : pl.hostContinued) steady.add(d.request().contextLength() + 1L, true);
        return steady;
    }

    /** The steady step's rows per second and predicted time, from its dispatch as it now stands. */
    private void readSteady() {
        Dispatch.Choice c = s.steadyDispatch().result(s.steadyChoice());
        steadyRate = c.rate;
        steadyStepSec = c.predictedSec;
    }

    /** A host row for the steady step: taken when it is begun, or now if it already is. */
    private void steadyTake(long ctx) {
        if (steadyBegun) {
            s.steadyDispatch().add(ctx, true);
            readSteady();
            return;
        }
        if (steadyCtx.length <= steadyRows) steadyCtx = java.util.Arrays.copyOf(steadyCtx, 2 * steadyCtx.length);
        steadyCtx[steadyRows++] = ctx;
    }

    /**
     * Reserves in {@code pf} the rest of {@code newcomer}'s prompt and of every prefill under way, one chunk an
     * iteration from the next.
     */
    private void reserveUnderWay(PrefillForecast pf, PrefillChunk newcomer) {
        pf.reserve(newcomer.start() + newcomer.length(), newcomer.request().remainingTokens() - newcomer.length(), 1);
        for (List<PrefillChunk> l : underWay) {
            for (PrefillChunk c : l) pf.reserve(c.start() + c.length(), c.request().remainingTokens() - c.length(), 1);
        }
    }

    /**
     * Reserves in {@code pf} the prompt of each request queued behind {@code newcomer} from the iteration {@code f}
     * predicts it fits the GPU pool, up to {@code horizon} iterations ahead (FCFS: the forecast stops at the first
     * that does not fit within it).
     */
    private void reserveQueueBehind(PrefillForecast pf, GpuQueueForecast f, RequestState newcomer, int horizon) {
        KvCapacity kv = ctx.kv();
        boolean behind = false;
        for (RequestState q : ctx.waiting()) {
            if (!behind) {
                behind = q == newcomer;
                continue;
            }
            long at = f.admit(kv.blocksAfterStep(q), q.targetOutput() - q.generated());
            if (at < 0 || at >= horizon) break;
            pf.reserve(q.kvTokens(), q.remainingTokens(), at);
        }
    }

    /**
     * TPOT budgets of the running requests: whether every running request that has its first token still meets its
     * TPOT budget after this iteration lengthened by {@code hc}'s prefill (the plan this iteration would run), with a
     * token this iteration and each later one after the steady decode step with the newcomer
     * ({@link ApexScheduler#tpotBudgetSec}) lengthened by the prefills predicted inside its window: the rest of
     * {@code hc}'s prompt and of every prefill under way, one chunk an iteration from the next, and the prompt of each
     * request queued behind {@code hc} from the iteration {@link GpuQueueForecast} predicts it fits the GPU pool
     * ({@link PrefillForecast}); its last token comes by first + S x (output - 1). With short outputs the prefill
     * iterations a request sits through are most of its TPOT, and each one is charged to the requests whose last token
     * comes after it, not spread over a mean. A request already late refuses too: each admission makes it later still,
     * and the newcomer can wait while its TTFT allows.
     */
    private boolean prefillKeepsTpotBudgets(PrefillChunk hc) {
        // the iteration as it would run: every prefill chunk in it (hc's, and those of the requests FCFS admitted to
        // the GPU just before hc, which the scheduler adds to the GPU rows only after the placement), the dispatch over
        // the real CPU candidates
        var o = s.options();
        for (PrefillChunk c : pl.gpuAdmitted) gpu.addPrefill(c, p, 1);
        gpu.addPrefill(hc, p, 1);
        dispatch.choose(gpu, s.cpuContexts(), n, s.mustRun(), fixed, starving, o.tpotSloSec(), o.pipeline(), choice);
        double with = choice.predictedSec;
        gpu.addPrefill(hc, p, -1);
        for (PrefillChunk c : pl.gpuAdmitted) gpu.addPrefill(c, p, -1);
        decided = false;
        double slo = o.tpotSloSec(), now = ctx.nowSec();
        double step = s.steadyChoice().predictedSec;
        // without the prefills to come first (they only shorten a budget), in the walk that finds the horizon they are
        // reserved over
        int horizon = horizon(r -> ApexScheduler.tpotBudgetSec(r, now, slo, step) < with);
        if (horizon < 0) return false;
        if (horizon <= 1) return true;
        PrefillForecast pf = prefillForecast(horizon);
        RequestState newcomer = hc.request();
        reserveUnderWay(pf, hc);
        // the queue behind hc, with hc on the host: each prompt at the iteration it is predicted to fit the GPU pool
        reserveQueueBehind(pf, queueForecast(), newcomer, horizon);
        for (List<RequestState> l : List.of(ctx.gpuRunning(), ctx.hostRunning())) {
            for (RequestState r : l) {
                if (r.generated() < 1) continue;
                int remaining = r.targetOutput() - r.generated();
                if (ApexScheduler.tpotBudgetSec(r, now, slo, step) - pf.reservedThrough(remaining - 1) < with) return false;
            }
        }
        return true;
    }

    /**
     * The most tokens a running request that has its first token has left to decode (the horizon the prefills to come
     * are reserved over), or -1 at the first such request that is {@code late}: one walk serves a test that refuses on
     * a late request and the horizon it needs when none is.
     */
    private int horizon(Predicate<RequestState> late) {
        int horizon = 0;
        for (List<RequestState> l : List.of(ctx.gpuRunning(), ctx.hostRunning())) {
            for (RequestState r : l) {
                if (r.generated() < 1) continue;
                if (late.test(r)) return -1;
                horizon = Math.max(horizon, r.targetOutput() - r.generated());
            }
        }
        return horizon;
    }

    /**
     * The prefill forecast beside the steady decode step's rows (GPU rows, host decodes, host prefills under way and
     * the host admissions so far, each one row), reserving iterations up to {@code horizon - 1}.
     */
    private PrefillForecast prefillForecast(int horizon) {
        int rows = s.steadyGpuRows().width + n + pl.hostContinued.size() + admitted;
        return s.prefillForecast().reset(p, layers, rows, rows, ctx.budgets().maxTokensPerIteration(), horizon);
    }

    /**
     * When the waiting requests would get GPU memory if none went to the host: the GPU's requests after this
     * iteration's placement (no admission runs in one that swaps out or recomputes), ready for {@link GpuQueueForecast#admit}.
     */
    private GpuQueueForecast queueForecast() {
        KvCapacity kv = ctx.kv();
        int blocks = rules.gpuDecodeBlocks() < 0 ? kv.gpuBlocks() : rules.gpuDecodeBlocks();
        GpuQueueForecast f = s.queueForecast().reset(blocks - (int) Math.ceil(rules.gpuWatermark() * blocks), kv.blockSize());
        for (RequestState g : ctx.gpuRunning()) f.addRunning(g.targetOutput() - g.generated(), kv.blocksAfterStep(g));
        for (RequestState g : pl.swapIn) f.addRunning(g.targetOutput() - g.generated(), kv.blocksAfterStep(g));
        for (PrefillChunk c : pl.gpuAdmitted) f.addRunning(c.request().targetOutput(), kv.blocksAfterStep(c.request()));
        return f;
    }

    /**
     * TTFT admission: whether gpu-only's candidate, {@code r} and every request queued behind it waiting for GPU memory,
     * is predicted to miss the TTFT objective: some request of that queue without a first token gets it later than
     * the objective after its arrival. Each one's first token comes after the time it has waited, plus the iterations
     * until its prompt fits the GPU pool ({@link GpuQueueForecast}: the GPU requests' remaining tokens free their
     * memory, the queue is admitted FCFS and frees in turn), plus those of its own prefill. With a TPOT objective each
     * of those iterations is the steady decode step (every host request and the host admissions so far), and the
     * prefills are priced where they run ({@link PrefillForecast}): every prefill under way, and the whole prompt of
     * each queued request up to and including this one. Without one, at the mean iteration time of the plans run
     * ({@link ApexScheduler#horizonIterationSec}, which counts the prefill iterations; before the first plan, this
     * iteration's without host admissions), one iteration for the prefill. A request that would never fit misses.
     */
    private boolean waitingMissesTtft(RequestState r) {
        boolean priced = s.options().hasTpotSlo();
        PrefillForecast pf = null;
        double t = -1, ahead = 0;
        if (priced) {
            // the steady step is predicted only when a forecast needs it (a request already past F without it does not)
            pf = prefillForecast(0);
            ahead = underWaySec(pf);
        } else {
            if (forecastIterationSec == 0) {
                forecastIterationSec = s.horizonIterationSec();
                if (!(forecastIterationSec > 0)) {
                    decided();
                    forecastIterationSec = choice.predictedSec;
                }
            }
            t = forecastIterationSec;
        }
        KvCapacity kv = ctx.kv();
        GpuQueueForecast f = queueForecast();
        double slo = s.options().ttftSloSec(), now = ctx.nowSec();
        boolean queued = false;
        for (RequestState q : ctx.waiting()) {
            if (!queued && q != r) continue;
            queued = true;
            long at = f.admit(kv.blocksAfterStep(q), q.targetOutput() - q.generated());
            if (at < 0) return true;
            double wait;
            if (priced) {
                int len = q.remainingTokens();
                ahead += pf.wholeSec(q.kvTokens(), len);
                if (q.generated() == 0 && now - q.arrivalSec() + ahead > slo) return true;
                if (t < 0) {
                    beginSteady();
                    t = steadyStepSec;
                }
                wait = (at + pf.chunks(len)) * t + ahead;
            } else {
                wait = (at + 1) * t;
            }
            if (q.generated() == 0 && now - q.arrivalSec() + wait > slo) return true;
        }
        return false;
    }

    /** The predicted time of every prefill under way, to its prompt's end, beside the steady step's rows of {@code pf}. */
    private double underWaySec(PrefillForecast pf) {
        double sec = 0;
        for (List<PrefillChunk> l : underWay) {
            for (PrefillChunk c : l) sec += pf.wholeSec(c.start(), c.request().remainingTokens());
        }
        return sec;
    }

    /**
     * With a TPOT objective, whether the TTFT rule's host admission of {@code r} waits an iteration ({@link TtftHostPacing}):
     * this iteration has admitted a request already and {@code r}'s first token, admitted next iteration, is still
     * predicted within F: one steady step, then its prefill iterations at the steady step plus the predicted prefill
     * time of every prefill under way and its own ({@link PrefillForecast}), as {@link #waitingMissesTtft} prices a wait.
     */
    private boolean pacedByTtft(RequestState r) {
        boolean admitted = !pl.gpuAdmitted.isEmpty() || !pl.hostAdmitted.isEmpty();
        // the steady step is begun only where the rule could hold r: another admission, r fresh and within F
        if (!admitted || r.generated() > 0) return false;
        double slo = s.options().ttftSloSec(), waited = ctx.nowSec() - r.arrivalSec();
        if (waited >= slo) return false;
        PrefillForecast pf = prefillForecast(0);
        double ahead = underWaySec(pf);
        int len = r.remainingTokens();
        ahead += pf.wholeSec(r.kvTokens(), len);
        if (waited + ahead > slo) return false;
        beginSteady();
        return TtftHostPacing.waits(admitted, waited, (1 + pf.chunks(len)) * steadyStepSec + ahead, slo);
    }

    /** A host admission's first CPU row, which {@link #decide()} includes from now on. */
    private void record(RequestState r) {
        long ctx = r.contextLength() + 1L;
        if (admittedCtx.length <= admitted) admittedCtx = java.util.Arrays.copyOf(admittedCtx, 2 * admittedCtx.length);
        admittedCtx[admitted++] = ctx;
        cpuSum += ctx;
    }

    /** Admits {@code hc} to the host; the next decision is over the CPU rows with its first one. */
    private boolean admitToHost(PrefillChunk hc) {
        s.addPrefill(prefills, hc, p);
        record(hc.request());
        decided = false;
        return true;
    }

    /**
     * Amortized host admission (our rule; the paper only says "when predicted to pay"): the admission
     * iteration takes {@code tP - tNow} more seconds for {@code rowsP - rowsNow} more tokens (the prefill's
     * first token plus any CPU rows its longer GPU windows let the dispatch hide); after it, each of the
     * newcomer's {@code later} remaining tokens (up to its max_tokens, which a server knows) costs
     * {@code perRow}, the predicted marginal time of one more CPU row (or, when the dispatch would not run
     * it yet, its marginal CPU attention time). It is considered only when the dispatch runs the newcomer
     * or the prefill's longer windows let it run more existing host rows. Admit when those tokens cost no more per
     * token than the current iteration's. Judging one iteration's rows/second alone refuses nearly every prefill
     * (a 373-token prompt doubles a T4 iteration) although the request then decodes almost for free.
     */
    static boolean admissionPays(int later, double tNow, int rowsNow, double tP, int rowsP, double perRow) {
        if (rowsNow == 0) return true;
        double time = Math.max(0, tP - tNow) + later * perRow;
        double tokens = Math.max(1, rowsP - rowsNow) + later;
        return time <= tokens * tNow / rowsNow;
    }
}
