package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apexbench.engine.runtime.EngineRegistry;
import org.apexbench.engine.Strategy;
import org.apexbench.reports.JsonFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The CI regression gate (docs/testing.md): every engine and engine variant of {@link CiGate#SETTINGS} is simulated
 * and compared with the committed baseline in src/test/resources/baseline, metric by metric (the defaults of
 * {@code apex regress}, strategy mix, preemptions, swaps, stall and predictor error included), each within its
 * tolerance: the default, raised to twice the change a 1e-9 perturbation of the simulated durations caused
 * (noise.json). The mutation check then shows the gate would notice any engine option that stopped working.
 * After an intended change of engine behaviour, regenerate the baseline and its noise (a few minutes) with
 * {@code mvn -o -q -pl harness -am test -Dtest=CiRegressionTest -Dsurefire.failIfNoSpecifiedTests=false -Dapex.updateBaseline=true}
 * and commit it in its own commit saying why it moved.
 */
class CiRegressionTest {

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)   // regenerating the baseline runs the gate 1 + NOISE_RUNS times
    void everyGateSettingMatchesTheCommittedBaseline() throws Exception {
        if (Boolean.getBoolean("apex.updateBaseline")) updateBaseline();
        Map<String, CompletableFuture<Map<String, Object>>> runs = new LinkedHashMap<>();
        for (CiGate.Setting s : CiGate.SETTINGS) for (String e : s.engines()) runs.put(s.name() + "/" + e, CiGate.run(s, e, 0));
        Map<String, Map<String, Object>> done = CiGate.await(runs);
        List<String> specs = new ArrayList<>();
        for (CiGate.Setting s : CiGate.SETTINGS) for (String e : s.engines()) specs.addAll(CiGate.specDifferences(s, e, done.get(s.name() + "/" + e)));
        assertEquals(List.of(), specs, "the gate's runs are not the runs of the baseline (a setting or the run spec changed): "
                + "regenerate the baseline (see this class's comment)");
        List<Regression.Check> moved = new ArrayList<>();
        int checked = 0;
        for (CiGate.Setting s : CiGate.SETTINGS) {
            for (String e : s.engines()) {
                List<Regression.Check> checks = CiGate.checks(s, e, done.get(s.name() + "/" + e));
                checked += checks.size();
                for (Regression.Check c : checks) if (!c.passed()) moved.add(c);
            }
        }
        if (!moved.isEmpty()) {
            fail(moved.size() + " of " + checked + " gate metrics moved beyond tolerance (if intended, regenerate the baseline: "
                    + "see this class's comment):\n" + Regression.table(moved));
        }
        assertEquals(runs.size() * CiGate.tolerances(Map.of()).size(), checked, "every engine is checked on every metric");
    }

    /**
     * The gate still exercises what it is meant to: every strategy runs in a tenth of some run's iterations, every APEX
     * run uses all three of its strategies and predicts every iteration, and each setting has preemptions, swaps and
     * GPU stall on the CPU. Read from the committed baseline, which the first test holds the runs to.
     */
    @Test
    void theGateExercisesEveryStrategyAndTheHybridMachinery() {
        Map<String, Double> mostOf = new TreeMap<>();
        for (CiGate.Setting s : CiGate.SETTINGS) {
            long preemptions = 0, swaps = 0;
            double stall = 0;
            for (String e : s.engines()) {
                Map<String, Object> m = CiGate.withStrategies(JsonFiles.read(CiGate.baseline(s, e)));
                for (Strategy st : Strategy.values()) mostOf.merge(st.name(), num(m, "strategy_fraction_" + st.name()), Math::max);
                preemptions += (long) num(m, "preemptions");
                swaps += (long) num(m, "swap_out_bytes");
                stall += num(m, "gpu_stall_ms");
                if (e.startsWith("apex")) {
                    for (Strategy st : List.of(Strategy.GPU_ONLY, Strategy.ASYNC_OVERLAP, Strategy.ASYMMETRIC_PIPELINE)) {
                        assertTrue(num(m, "strategy_fraction_" + st.name()) >= 0.01, s.name() + " " + e + " runs " + st + " in >= 1% of iterations");
                    }
                    assertTrue(num(m, "predicted_iterations") == num(m, "iterations"), s.name() + " " + e + " predicts every iteration");
                }
            }
            assertTrue(preemptions > 0 && swaps > 0 && stall > 0, s.name() + ": preemptions, swaps and stall happen");
        }
        for (var e : mostOf.entrySet()) {
            assertTrue(e.getValue() >= 0.1, "strategy " + e.getKey() + " runs in >= 10% of the iterations of some gate run: " + mostOf);
        }
    }

    /** Every engine on the class path is in the gate, and every option of every engine has a mutation. */
    @Test
    void everyEngineAndEveryOptionIsCovered() {
        Set<String> engines = new TreeSet<>(), mutated = new TreeSet<>();
        for (CiGate.Setting s : CiGate.SETTINGS) {
            for (String e : s.engines()) {
                assertEquals(CiGate.canonical(e), e, "gate labels are canonical (options sorted), so runs are shared");
                engines.add(EngineChoice.parse(e, Map.of()).engineId());
            }
        }
        assertEquals(new TreeSet<>(EngineRegistry.ids()), engines, "every registered engine runs in the gate");
        for (CiGate.Mutation m : CiGate.MUTATIONS) {
            assertTrue(CiGate.setting(m.setting()).engines().contains(m.engine()), m + ": its engine is a gate engine");
            String id = EngineChoice.parse(m.engine(), Map.of()).engineId();
            assertTrue(EngineRegistry.options(id).contains(m.option()), m + ": " + id + " has option " + m.option());
            mutated.add(id + "." + m.option());
        }
        Set<String> all = new TreeSet<>();
        for (String id : EngineRegistry.ids()) for (String o : EngineRegistry.options(id)) all.add(id + "." + o);
        assertEquals(all, mutated, "every engine option has a mutation");
    }

    /**
     * The mutation check of the gate itself: each engine option changed (or turned off) in its setting moves at least one
     * compared metric beyond that engine's tolerance, so a feature that silently stops working fails the gate. Writes
     * the moves to target/ci-gate-mutations.txt (quoted in docs/testing.md).
     */
    @Test
    void everyEngineOptionMovesTheGate() throws Exception {
        Map<CiGate.Mutation, CompletableFuture<Map<String, Object>>> runs = new LinkedHashMap<>();
        for (CiGate.Mutation m : CiGate.MUTATIONS) runs.put(m, CiGate.run(CiGate.setting(m.setting()), m.mutated(), 0));
        Map<CiGate.Mutation, Map<String, Object>> done = CiGate.await(runs);
        List<String> silent = new ArrayList<>();
        StringBuilder report = new StringBuilder();
        for (var e : done.entrySet()) {
            CiGate.Mutation m = e.getKey();
            List<Regression.Check> moved = new ArrayList<>(CiGate.checks(CiGate.setting(m.setting()), m.engine(), e.getValue()).stream()
                    .filter(c -> !c.passed()).toList());
            moved.sort(Comparator.comparingDouble((Regression.Check c) -> -ratio(c)));
            report.append(String.format(Locale.ROOT, "%s | %s | %s=%s | %d | %s%n", m.setting(), m.engine(), m.option(),
                    m.value() == null ? "(removed)" : m.value(), moved.size(),
                    String.join(", ", moved.stream().limit(4).map(CiRegressionTest::describe).toList())));
            if (moved.isEmpty()) silent.add(m.setting() + ": " + m.engine() + " with " + m.option() + "=" + m.value());
        }
        Path out = Path.of("target", "ci-gate-mutations.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, "setting | engine | mutation | metrics moved | largest moves (change, tolerance)\n" + report);
        assertEquals(List.of(), silent, "mutations that move no compared metric beyond tolerance (the gate would not notice "
                + "these options stop working):\n" + report);
    }

    /** Noise recorded for a metric that a perturbation makes appear or disappear: it is then effectively unchecked. */
    private static final double NOISE_CAP = 1e6;

    private static double ratio(Regression.Check c) {
        double r = Math.abs(c.changePct()) / Math.max(1e-9, c.tolerancePct());
        return Double.isNaN(r) ? Double.MAX_VALUE : r;
    }

    private static String describe(Regression.Check c) {
        String unit = Regression.isFraction(c.key()) ? "pp" : "%";
        return String.format(Locale.ROOT, "%s %+.1f%s (tol %.1f%s)", c.key(), c.changePct(), unit, c.tolerancePct(), unit);
    }

    private static double num(Map<String, Object> m, String key) {
        return m.get(key) instanceof Number n ? n.doubleValue() : 0;
    }

    /**
     * Writes every setting's summaries and noise.json: each engine runs once as the gate runs it and
     * {@link CiGate#NOISE_RUNS} times with every simulated duration perturbed by ~{@link CiGate#NOISE_JITTER} (jitter
     * seeds 1..N); a metric's noise is the largest change any perturbed run showed.
     */
    private static void updateBaseline() throws Exception {
        try (var old = Files.walk(CiGate.BASELINE)) {
            for (Path f : old.sorted(Comparator.reverseOrder()).toList()) if (!f.equals(CiGate.BASELINE)) Files.delete(f);
        }
        Map<String, CompletableFuture<Map<String, Object>>> runs = new LinkedHashMap<>();
        for (CiGate.Setting s : CiGate.SETTINGS) {
            for (String e : s.engines()) {
                for (long seed = 0; seed <= CiGate.NOISE_RUNS; seed++) runs.put(s.name() + "/" + e + "/" + seed, CiGate.run(s, e, seed));
            }
        }
        Map<String, Map<String, Object>> done = CiGate.await(runs);
        Map<String, Double> none = Map.of();
        for (CiGate.Setting s : CiGate.SETTINGS) {
            Map<String, Object> noise = new TreeMap<>();
            for (String e : s.engines()) {
                Map<String, Object> base = done.get(s.name() + "/" + e + "/0");
                Path file = CiGate.baseline(s, e);
                Files.createDirectories(file.getParent());
                JsonFiles.write(file, base);
                Map<String, Double> worst = new TreeMap<>();
                for (long seed = 1; seed <= CiGate.NOISE_RUNS; seed++) {
                    for (Regression.Check c : Regression.checks(e, CiGate.withStrategies(base),
                            CiGate.withStrategies(done.get(s.name() + "/" + e + "/" + seed)), CiGate.tolerances(none))) {
                        // a metric that appears or leaves (null or 0 in the baseline) is as noisy as can be: NOISE_CAP
                        double change = Double.isFinite(c.changePct()) ? Math.abs(c.changePct()) : NOISE_CAP;
                        if (change > 0) worst.merge(c.key(), change, Math::max);
                    }
                }
                Map<String, Object> rounded = new TreeMap<>();
                worst.forEach((k, v) -> rounded.put(k, Double.parseDouble(String.format(Locale.ROOT, "%.4g", v))));
                noise.put(e, rounded);
            }
            JsonFiles.write(CiGate.BASELINE.resolve(s.name()).resolve(CiGate.NOISE), noise);
        }
    }
}
