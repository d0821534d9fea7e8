package org.apexbench.engine.apex;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineFactory;
import org.apexbench.engine.EngineOptions;

import java.util.List;
import java.util.Set;

/**
 * Offers {@code apex}. Options: {@code tpotSloMs} (default none), {@code starvationIterations} (50),
 * {@code hostAdmission} (true), {@code pipeline} (true), {@code swapInHysteresis} (0.95), {@code marginPct} (2: a longer iteration must promise 2% more rows/s), {@code neoPacking} (true), {@code amortizedAdmission} (false; true favours throughput on
 * batch workloads of short outputs, see ApexScheduler#admissionPays), {@code recalibrate} (true: scale the
 * profile's predictions by measured/predicted busy time, see RecalibratingPredictor; false: trust the profile).
 */
public final class ApexEngines implements EngineFactory {
    public static final String ID = "apex";

    @Override
    public List<String> ids() { return List.of(ID); }

    @Override
    public Set<String> options(String id) {
        if (!ID.equals(id)) throw new IllegalArgumentException("ApexEngines does not offer engine " + id);
        return Set.of("tpotSloMs", "starvationIterations", "hostAdmission", "pipeline", "swapInHysteresis", "marginPct", "neoPacking",
                "amortizedAdmission", "recalibrate");
    }

    @Override
    public Engine create(String id, EngineOptions o) {
        o.requireKnown(id, options(id));
        ApexOptions d = ApexOptions.DEFAULT;
        double slo = o.number("tpotSloMs", Double.NaN);
        ApexOptions opts = new ApexOptions(Double.isNaN(slo) ? Double.NaN : slo / 1000,
                o.integer("starvationIterations", d.starvationIterations()), o.flag("hostAdmission", d.hostAdmission()),
                o.flag("pipeline", d.pipeline()), o.number("swapInHysteresis", d.swapInHysteresis()),
                o.number("marginPct", 100 * d.margin()) / 100, o.flag("neoPacking", d.neoPacking()),
                o.flag("amortizedAdmission", d.amortizedAdmission()), o.flag("recalibrate", d.recalibrate()));
        return new Engine(ID, "apex (GPU-only / async overlap / asymmetric pipelining per iteration"
                + (Double.isNaN(slo) ? "" : ", TPOT SLO " + slo + " ms") + (opts.pipeline() ? "" : ", no pipelining")
                + (opts.hostAdmission() ? "" : ", no host admission") + (opts.neoPacking() ? "" : ", prefix split only")
                + (opts.amortizedAdmission() ? ", amortized host admission" : "")
                + (opts.recalibrate() ? "" : ", no recalibration") + ", margin " + 100 * opts.margin() + "%, two-thread runtime)",
                () -> new ApexScheduler(opts), 0);
    }
}
