package org.apexbench.engine.runtime;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineFactory;
import org.apexbench.engine.EngineOption;
import org.apexbench.engine.EngineOptions;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** Finds engines on the class path through {@link EngineFactory} services. */
public final class EngineRegistry {
    private EngineRegistry() { }

    private static TreeMap<String, EngineFactory> factories() {
        TreeMap<String, EngineFactory> byId = new TreeMap<>();
        for (EngineFactory f : ServiceLoader.load(EngineFactory.class)) {
            for (String id : f.ids()) {
                EngineFactory prev = byId.putIfAbsent(id, f);
                if (prev != null && prev.getClass() != f.getClass()) {
                    throw new IllegalStateException("engine id " + id + " offered by both " + prev.getClass().getName()
                            + " and " + f.getClass().getName());
                }
            }
        }
        return byId;
    }

    /** Ids of every engine on the class path, sorted. */
    public static List<String> ids() { return new ArrayList<>(factories().keySet()); }

    /** Creates engine {@code id}; an unknown id is an error listing the known ones. */
    public static Engine create(String id, EngineOptions options) {
        return factory(id).create(id, options);
    }

    /** Creates engine {@code id} for a run held to {@code slo} ({@link EngineFactory#create(String, EngineOptions, Slo)}). */
    public static Engine create(String id, EngineOptions options, org.apexbench.profiler.metrics.Slo slo) {
        return factory(id).create(id, options, slo);
    }

    /** The option keys engine {@code id} accepts, sorted; an unknown id is an error listing the known ones. */
    public static java.util.SortedSet<String> options(String id) {
        java.util.SortedSet<String> keys = new java.util.TreeSet<>();
        for (EngineOption o : factory(id).options(id)) keys.add(o.key());
        return keys;
    }

    /** The options engine {@code id} accepts, as its factory declares them (defaults, bounds, help). */
    public static List<EngineOption> declaredOptions(String id) { return factory(id).options(id); }

    private static EngineFactory factory(String id) {
        TreeMap<String, EngineFactory> f = factories();
        EngineFactory factory = f.get(id);
        if (factory == null) {
            throw new IllegalArgumentException("unknown engine '" + id + "'; known: " + f.keySet()
                    + (f.isEmpty() ? " (no engine module on the class path)" : ""));
        }
        return factory;
    }
}
