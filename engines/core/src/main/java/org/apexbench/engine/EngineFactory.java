package org.apexbench.engine;

import java.util.List;

/**
 * Service-provider interface (java.util.ServiceLoader, META-INF/services) through which engine
 * modules offer engines, so engines/core finds them without depending on them.
 */
public interface EngineFactory {
    /** Engine ids this factory creates. */
    List<String> ids();

    /** Creates {@code id} with {@code options}; unknown option keys are an error. */
    Engine create(String id, EngineOptions options);
}
