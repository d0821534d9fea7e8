package org.apexbench.engine.apex;

import org.apexbench.engine.KvCapacity;
import org.apexbench.engine.PrefillChunk;
import org.apexbench.engine.RequestState;
import org.apexbench.engine.plan.SubBatchLoad;
import org.apexbench.engine.policy.Placement;
import org.apexbench.engine.predict.Predictor;

import java.util.List;

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
    private final KvCapacity kv;
    private long[] admittedCtx = new long[16];
    private int admitted;
    private long cpuSum;

    HostAdmission(ApexScheduler s, Predictor p, int layers, int n, double fixed, boolean starving, List<PrefillChunk> prefills,
                  KvCapacity kv) {
        this.s = s;
        this.kv = kv;
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
        for (int i = 0; i < n; i++) dispatch.add(cpuCtx[i]);
        for (int i = 0; i < admitted; i++) dispatch.add(admittedCtx[i]);
        dispatch.result(choice);
    }

    @Override
    public boolean admit(PrefillChunk hc) {
        RequestState r = hc.request();
        // waiting for GPU memory cannot help a request the GPU pool can never hold: the host is its only place, and
        // refusing it would stop the FCFS queue behind it for good
        if (kv.peakBlocks(r.spec()) > kv.gpuBlocks()) return admitToHost(hc);
        if (s.options().amortizedAdmission()) {
            // judge the admission with its prefill in this iteration's GPU rows (it lengthens the windows the CPU
            // hides behind) and the newcomer as a CPU row standing for its future decode steps
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
                decide();
                return false;
            }
            return admitToHost(hc);
        }
        // one iteration's view: the best dispatch uses every CPU row and one more raises the rate by the margin
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
        record(r.contextLength() + 1L);
        return true;
    }

    /** A host admission's first CPU row, which {@link #decide()} includes from now on. */
    private void record(long ctx) {
        if (admittedCtx.length <= admitted) admittedCtx = java.util.Arrays.copyOf(admittedCtx, 2 * admittedCtx.length);
        admittedCtx[admitted++] = ctx;
        cpuSum += ctx;
    }

    /** Admits {@code hc} to the host and decides again over the CPU rows with its first one. */
    private boolean admitToHost(PrefillChunk hc) {
        s.addPrefill(prefills, hc, p);
        record(hc.request().contextLength() + 1L);
        decide();
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
