package org.apexbench.engine;

import java.util.List;

import org.apexbench.profiler.metrics.Slo;

/**
 * Service-provider interface (java.util.ServiceLoader, META-INF/services) through which engine
 * modules offer engines, so engines/core finds them without depending on them.
 */
public interface EngineFactory {
    /** Engine ids this factory creates. */
    List<String> ids();

    /**
     * The options engine {@code id} accepts (those {@link #create} does not refuse), with their defaults, bounds and
     * help, so {@code apex engines} can list them and the CI gate can check that every one of them changes a result.
     */
    List<EngineOption> options(String id);

    /** Creates {@code id} with {@code options}; unknown option keys are an error. */
    Engine create(String id, EngineOptions options);

    /**
     * Creates {@code id} for a run held to {@code slo} (the run's {@code --slo-*}; {@link Slo#NONE} when none): an
     * engine that schedules to latency objectives reads them here, any other ignores them (the default).
     */
    default Engine create(String id, EngineOptions options, Slo slo) { return create(id, options); }
}
