package org.apexbench.engine.runtime;

import java.util.List;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineFactory;
import org.apexbench.engine.EngineOption;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.Strategy;

/**
 * Offers {@link ScriptedSchedulerTest#scripted} as engine "scripted" (core's tests' META-INF/services), so the registry
 * and the harness's facade are tested in core without an engine module: option {@code overlap} (default true) runs its
 * host requests with ASYNC_OVERLAP, false leaves them waiting (GPU_ONLY).
 */
public final class ScriptedEngineFactory implements EngineFactory {
    public static final EngineOption OVERLAP = EngineOption.flag("overlap", true, "attend host requests on the CPU");

    @Override public List<String> ids() { return List.of("scripted"); }

    @Override public List<EngineOption> options(String id) { return List.of(OVERLAP); }

    @Override public Engine create(String id, EngineOptions options) {
        options.requireKnown(id, options(id));
        Strategy s = options.flag(OVERLAP) ? Strategy.ASYNC_OVERLAP : Strategy.GPU_ONLY;
        return new Engine(id, "scripted " + s, () -> ScriptedSchedulerTest.scripted(s), 0);
    }
}
