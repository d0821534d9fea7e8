package org.apexbench.engine.apex;

import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.sim.SimRun;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.engine.runtime.RunChecks;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.workloads.RequestSpec;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * APEX with stale tables: the simulated host runs CPU attention 3x slower than the profile says. With
 * {@code recalibrate=false} APEX keeps predicting the profiled host; with recalibration (the default) its
 * iteration predictions follow the measured times and it serves the same requests sooner.
 */
class ApexRecalibrationTest {
    static final double SLOWDOWN = 3;

    static RunResult run(EngineOptions o, List<RequestSpec> reqs, double slowdown) {
        return SimRun.simulate(EngineRegistry.create("apex", o), ApexSimTest.MODEL, ApexSimTest.T4, ApexSimTest.TIGHT, reqs, 0,
                1, 0, RecordOptions.DEFAULT, null, null, slowdown);
    }

    /** Mean absolute percentage error of the predicted iteration times. */
    static double mapePct(RunResult r) {
        double sum = 0;
        int n = 0;
        for (IterationRecord it : r.iterations()) {
            double measured = it.endSec() - it.startSec();
            if (Double.isNaN(it.predictedSec()) || measured <= 0) continue;
            sum += Math.abs(it.predictedSec() - measured) / measured;
            n++;
        }
        return 100 * sum / n;
    }

    static double makespan(RunResult r) { return r.iterations().getLast().endSec(); }

    @Test
    void recalibratedPredictionsFollowASlowerHostAndFinishSooner() {
        List<RequestSpec> reqs = ApexSimTest.requests(60, 11);
        RunResult stale = run(EngineOptions.of("recalibrate", "false"), reqs, SLOWDOWN);
        RunResult recal = run(EngineOptions.NONE, reqs, SLOWDOWN);   // recalibration is on by default
        assertEquals(List.of(), RunChecks.requests(reqs, stale));
        assertEquals(List.of(), RunChecks.requests(reqs, recal));
        long cpuIterations = recal.iterations().stream().filter(i -> i.cpuDecodes() > 0).count();
        assertTrue(cpuIterations > 20, "the host must serve requests for recalibration to matter: " + cpuIterations);
        double staleErr = mapePct(stale), recalErr = mapePct(recal);
        assertTrue(staleErr > 15, "stale tables should mispredict a 3x slower host, MAPE " + staleErr + "%");
        assertTrue(recalErr < staleErr / 3, "recalibration should cut the prediction error: " + recalErr + "% vs " + staleErr + "%");
        assertTrue(makespan(recal) < makespan(stale), "recalibrated APEX should finish sooner: " + makespan(recal) + " s vs "
                + makespan(stale) + " s");
    }

    @Test
    void onAHostAsProfiledRecalibrationChangesLittle() {
        List<RequestSpec> reqs = ApexSimTest.requests(60, 11);
        RunResult plain = run(EngineOptions.of("recalibrate", "false"), reqs, 1), recal = run(EngineOptions.NONE, reqs, 1);
        assertTrue(mapePct(recal) <= mapePct(plain) + 1, mapePct(recal) + "% vs " + mapePct(plain) + "%");
        assertEquals(makespan(plain), makespan(recal), 0.05 * makespan(plain));
    }

    @Test
    void aNonPositiveSlowdownIsRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> run(EngineOptions.NONE, ApexSimTest.requests(2, 1), 0));
        assertTrue(e.getMessage().contains("slowdown"), e.getMessage());
    }
}
