package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package rules of docs/architecture.md#packages, checked on the compiled classes of every module the harness
 * sees with the JDK's jdeps: no package cycles (outside kernels' backend registry, see below); the engine SPI imports
 * nothing of the runtimes; the engine modules implement the SPI only; only kernels imports JCuda.
 */
class PackageDependenciesTest {
    /** The packages an engine author implements and calls (engines/README.md). */
    static final Set<String> SPI = Set.of("org.apexbench.engine", "org.apexbench.engine.plan", "org.apexbench.engine.policy",
            "org.apexbench.engine.predict");
    /** The runtimes and the harness's door into them. */
    static final Set<String> RUNTIME = Set.of("org.apexbench.engine.runtime", "org.apexbench.engine.sim",
            "org.apexbench.engine.real", "org.apexbench.engine.runs");
    /** The engine modules' packages. */
    static final Set<String> ENGINES = Set.of("org.apexbench.engine.gpuonly", "org.apexbench.engine.hybrid",
            "org.apexbench.engine.apex");

    /** package -> packages it uses (ours and JCuda's), from jdeps over every module's classes. */
    static Map<String, Set<String>> uses;

    @BeforeAll
    static void runJdeps() throws URISyntaxException {
        List<String> args = new ArrayList<>(List.of("-verbose:package", "-filter:none"));
        for (Class<?> c : List.of(org.apexbench.kernels.Backend.class, org.apexbench.profiler.IterationRecord.class,
                org.apexbench.workloads.RequestSpec.class, org.apexbench.model.ModelConfig.class,
                org.apexbench.engine.Engine.class, org.apexbench.engine.gpuonly.GpuOnlyEngines.class,
                org.apexbench.engine.hybrid.StaticHybridEngines.class, org.apexbench.engine.apex.ApexEngines.class,
                org.apexbench.reports.HtmlReport.class, org.apexbench.serving.client.OpenAiEngine.class, ApexCli.class)) {
            args.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(() -> new IllegalStateException("this JDK has no jdeps"));
        StringWriter out = new StringWriter(), err = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
        assertEquals(0, rc, "jdeps " + args + ": " + err);
        // lines like "   org.apexbench.engine.sim   -> org.apexbench.engine.runtime   apex-engine-core.jar"
        Pattern line = Pattern.compile("^\\s+(org\\.apexbench\\S*)\\s+->\\s+(\\S+)\\s");
        uses = new TreeMap<>();
        for (String l : out.toString().split("\\R")) {
            Matcher m = line.matcher(l);
            if (!m.find()) continue;
            String to = m.group(2);
            if (to.startsWith("org.apexbench") || to.startsWith("jcuda")) {
                uses.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(to);
            }
        }
        assertTrue(uses.keySet().containsAll(SPI) && uses.keySet().containsAll(RUNTIME) && uses.keySet().containsAll(ENGINES),
                "jdeps saw the engine packages: " + uses.keySet());
    }

    /**
     * No two packages use each other, directly or through others. Kernels is left out: its {@code Backends} opens
     * the cpu and cuda backends, which implement its {@code Backend} (one module, one job: the kernels).
     */
    @Test
    void noPackageCycles() {
        Map<String, Set<String>> ours = new TreeMap<>();
        uses.forEach((from, to) -> {
            if (from.startsWith("org.apexbench.kernels")) return;
            Set<String> t = new TreeSet<>();
            for (String p : to) if (!p.equals(from) && p.startsWith("org.apexbench")) t.add(p);
            ours.put(from, t);
        });
        List<List<String>> cycles = cycles(ours);
        assertTrue(cycles.isEmpty(), "package cycles: " + cycles);
    }

    @Test
    void theEngineSpiImportsNoRuntime() {
        for (String spi : SPI) {
            Set<String> bad = new TreeSet<>(uses.get(spi));
            bad.retainAll(RUNTIME);
            assertTrue(bad.isEmpty(), spi + " (SPI) uses " + bad);
        }
    }

    @Test
    void theEnginesImplementTheSpiOnly() {
        for (String engine : ENGINES) {
            Set<String> bad = new TreeSet<>();
            for (String p : uses.get(engine)) if (p.startsWith("org.apexbench.engine") && !SPI.contains(p) && !p.equals(engine)) bad.add(p);
            assertTrue(bad.isEmpty(), engine + " uses " + bad + " beyond the SPI " + SPI);
        }
    }

    @Test
    void onlyKernelsImportsJcuda() {
        Set<String> bad = new TreeSet<>();
        uses.forEach((from, to) -> {
            if (!from.startsWith("org.apexbench.kernels") && to.stream().anyMatch(p -> p.startsWith("jcuda"))) bad.add(from);
        });
        assertTrue(bad.isEmpty(), "JCuda used outside kernels by " + bad);
        assertTrue(uses.getOrDefault("org.apexbench.kernels.cuda", Set.of()).stream().anyMatch(p -> p.startsWith("jcuda")),
                "jdeps sees kernels.cuda's JCuda use (else this check sees nothing): " + uses.get("org.apexbench.kernels.cuda"));
    }

    /** The strongly connected components of more than one package (Tarjan's algorithm). */
    static List<List<String>> cycles(Map<String, Set<String>> graph) {
        Map<String, Integer> index = new HashMap<>(), low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new java.util.HashSet<>();
        List<List<String>> out = new ArrayList<>();
        for (String v : graph.keySet()) if (!index.containsKey(v)) connect(v, graph, index, low, stack, onStack, out);
        return out;
    }

    private static void connect(String v, Map<String, Set<String>> g, Map<String, Integer> index, Map<String, Integer> low,
                                Deque<String> stack, Set<String> onStack, List<List<String>> out) {
        index.put(v, index.size());
        low.put(v, index.get(v));
        stack.push(v);
        onStack.add(v);
        for (String w : g.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, g, index, low, stack, onStack, out);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            List<String> component = new ArrayList<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) out.add(component);
        }
    }

    @Test
    void theCycleFinderFindsACycle() {
        assertEquals(1, cycles(Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"), "d", Set.of("a"))).size());
        assertTrue(cycles(Map.of("a", Set.of("b"), "b", Set.of("c"))).isEmpty());
    }
}
