package org.apexbench.engine;

import java.util.List;
import java.util.Set;

/**
 * Service-provider interface (java.util.ServiceLoader, META-INF/services) through which engine
 * modules offer engines, so engines/core finds them without depending on them.
 */
public interface EngineFactory {
    /** Engine ids this factory creates. */
    List<String> ids();

    /**
     * The option keys engine {@code id} accepts (those {@link #create} does not refuse), so tools can list them and the
     * CI gate can check that every one of them changes a result.
     */
    Set<String> options(String id);

    /** Creates {@code id} with {@code options}; unknown option keys are an error. */
    Engine create(String id, EngineOptions options);
}
