package org.apexbench.engine.apex;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineFactory;
import org.apexbench.engine.EngineOption;
import org.apexbench.engine.EngineOptions;

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
    public Engine create(String id, EngineOptions o) {
        options(id);
        ApexOptions opts = ApexOptions.from(o);
        double slo = o.number(ApexOptions.TPOT_SLO_MS);   // as given, for the description
        return new Engine(ID, "apex (GPU-only / async overlap / asymmetric pipelining per iteration"
                + (Double.isNaN(slo) ? "" : ", TPOT SLO " + slo + " ms") + (opts.pipeline() ? "" : ", no pipelining")
                + (opts.hostAdmission() ? "" : ", no host admission") + (opts.neoPacking() ? "" : ", prefix split only")
                + (opts.amortizedAdmission() ? ", amortized host admission" : "")
                + (opts.recalibrate() ? "" : ", no recalibration") + ", margin " + 100 * opts.margin() + "%, two-thread runtime)",
                () -> new ApexScheduler(opts), 0);
    }
}
