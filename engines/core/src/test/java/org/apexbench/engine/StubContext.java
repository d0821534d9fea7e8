package org.apexbench.engine;

import java.util.List;

import org.apexbench.engine.predict.Predictor;
import org.apexbench.profiler.model.ModelGeometry;

/**
 * A scheduler's view written down by hand: the queues as given, pools whose occupancy is the blocks their requests
 * hold (as the engine loop's pools are).
 */
public record StubContext(List<RequestState> waiting, List<RequestState> gpuRunning, List<RequestState> hostRunning,
                          KvCapacity kv, ModelGeometry geometry, Predictor predictor) implements SchedulerContext {

    public static StubContext of(EngineBudgets budgets, ModelGeometry geometry, Predictor predictor,
                                 List<? extends RequestState> waiting, List<? extends RequestState> gpu,
                                 List<? extends RequestState> host) {
        List<RequestState> g = List.copyOf(gpu), h = List.copyOf(host);
        KvCapacity kv = new KvCapacity(budgets, geometry, () -> held(g), () -> held(h));
        return new StubContext(List.copyOf(waiting), g, h, kv, geometry, predictor);
    }

    private static int held(List<RequestState> l) {
        int b = 0;
        for (RequestState r : l) b += r.blocks();
        return b;
    }

    @Override public EngineBudgets budgets() { return kv.budgets(); }
    @Override public double nowSec() { return 0; }
    @Override public long iteration() { return 0; }
}
