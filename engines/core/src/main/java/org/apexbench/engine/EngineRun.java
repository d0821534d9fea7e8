package org.apexbench.engine;

import org.apexbench.engine.sim.SimulatedExecutor;
import org.apexbench.workloads.RequestSpec;

import java.util.List;

/** Entry points that run an engine over a request list. */
public final class EngineRun {
    private EngineRun() { }

    /**
     * A simulated run.
     *
     * @param cost       the simulated hardware's subtask times (the executor's clock)
     * @param predictor  what the schedulers know about time: built from profile tables of the same
     *                   simulated hardware (never read from {@code cost} directly in a real run)
     * @param jitterSigma log-normal run-to-run noise on every subtask (0 = none)
     */
    public static RunResult simulate(Engine engine, EngineGeometry geometry, CostFunction cost, Predictor predictor,
                                     EngineBudgets budgets, List<RequestSpec> requests, long seed, double jitterSigma,
                                     RecordOptions records) {
        try (SimulatedExecutor executor = new SimulatedExecutor(geometry, budgets, cost, jitterSigma, seed,
                engine.launchSecPerStage())) {
            return new EngineLoop(engine, executor, "sim", geometry, budgets, predictor, records, false).run(requests);
        }
    }
}
