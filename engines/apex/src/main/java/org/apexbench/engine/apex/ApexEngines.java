package org.apexbench.engine.apex;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineFactory;
import org.apexbench.engine.EngineOption;
import org.apexbench.engine.EngineOptions;
import org.apexbench.profiler.metrics.Slo;

import java.util.List;

/** Offers {@code apex}; its options are {@link ApexOptions#OPTIONS} (listed by {@code apex engines}). */
public final class ApexEngines implements EngineFactory {
    public static final String ID = "apex";

    @Override
    public List<String> ids() { return List.of(ID); }

    @Override
    public List<EngineOption> options(String id) {
        if (!ID.equals(id)) throw new IllegalArgumentException("ApexEngines does not offer engine " + id);
        return ApexOptions.OPTIONS;
    }

    @Override
    public Engine create(String id, EngineOptions o) { return create(id, o, Slo.NONE); }

    @Override
    public Engine create(String id, EngineOptions o, Slo slo) {
        options(id);
        ApexOptions opts = ApexOptions.from(o).withRunSlo(slo);
        return new Engine(ID, "apex (GPU-only / async overlap / asymmetric pipelining per iteration"
                + (opts.hasTpotSlo() ? ", TPOT SLO " + opts.tpotSloSec() * 1000 + " ms" : "")
                + (opts.hasTtftSlo() ? ", TTFT SLO " + opts.ttftSloSec() * 1000 + " ms" : "") + (opts.pipeline() ? "" : ", no pipelining")
                + (opts.hostAdmission() ? "" : ", no host admission") + (opts.neoPacking() ? "" : ", prefix split only")
                + (opts.amortizedAdmission() ? ", amortized host admission" : "")
                + (opts.recalibrate() ? "" : ", no recalibration") + ", margin " + 100 * opts.margin() + "%, two-thread runtime)",
                () -> new ApexScheduler(opts), 0);
    }

}
