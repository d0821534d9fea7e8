package org.apexbench.profiler.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.profiler.table.IterationCost.Term;
import org.junit.jupiter.api.Test;

/** The per-iteration runtime cost's table: what it charges, its round trip through a profile's JSON, and bad tables. */
class IterationCostTest {
    private static final ModelGeometry MODEL = org.apexbench.profiler.TestModels.LLAMA_2_7B;
    private static final ProfileFingerprint FP = new ProfileFingerprint("bench-host", "cpu", "n/a", "amd64 x2", 1, MODEL, "f16", "f16", 16, "cpu");
    private static final double US = 1e-6;

    private static Profile base() {
        Map<String, ProfileTable> t = new HashMap<>();
        for (String name : Profile.TABLE_NAMES) {
            t.put(name, name.equals(Profile.GPU_DECODE_ATTN) || name.equals(Profile.CPU_DECODE_ATTN)
                    ? new Table2D("requests x contextTokens", new double[] {1, 2}, new double[] {16, 32}, new double[][] {{1 * US, 2 * US}, {2 * US, 4 * US}})
                    : new Table1D("width", new double[] {1, 16}, new double[] {10 * US, 100 * US}));
        }
        return MeasuredRuntime.withIterationSamples(new Profile(FP, t, 0, "hand-made"), new double[] {5 * US, 6 * US, 7 * US});
    }

    private static final IterationCost COST = new IterationCost(Map.of(Term.ITERATION, 4 * US, Term.CPU_ROW, 1.5 * US,
            Term.PREFILL_TOKEN, 0.05 * US), 9 * US);

    @Test
    void chargesEachKeptTermPerUnitOfTheIterationsComposition() {
        assertEquals(4 * US, COST.seconds(0, 0, 0), 1e-15);
        assertEquals(4 * US, COST.seconds(7, 0, 0), 1e-15, "GPU rows: not a kept term");
        assertEquals((4 + 9 * 1.5) * US, COST.seconds(7, 9, 0), 1e-15);
        assertEquals((4 + 9 * 1.5 + 96 * 0.05) * US, COST.seconds(7, 9, 96), 1e-15);
        IterationCost flags = new IterationCost(Map.of(Term.ITERATION, 1 * US, Term.GPU_ROW, 2 * US, Term.CPU_ITERATION, 10 * US,
                Term.PREFILL_ITERATION, 100 * US), 1 * US);
        assertEquals((1 + 2 * 3) * US, flags.seconds(3, 0, 0), 1e-15);
        assertEquals((1 + 2 * 3 + 10) * US, flags.seconds(3, 5, 0), 1e-15, "a two-thread iteration: once, whatever its CPU rows");
        assertEquals((1 + 100) * US, flags.seconds(0, 0, 48), 1e-15, "an iteration with a prefill chunk: once, whatever its tokens");
    }

    @Test
    void roundTripsThroughAProfilesJsonBesideTheOtherEnginesTables() {
        Profile p = IterationCost.with(base(), "static-hybrid:neo[runtime=two-thread]", COST);
        assertEquals("runtime.iterationCost[static-hybrid:neo[runtime=two-thread]]", IterationCost.table("static-hybrid:neo[runtime=two-thread]"));
        Profile back = Profile.fromJson(p.toJson(), "test");
        IterationCost read = IterationCost.of(back, "static-hybrid:neo[runtime=two-thread]");
        assertEquals(COST, read);
        assertNull(IterationCost.of(back, "gpu-only"), "an engine without its own: none");
        assertNull(IterationCost.of(back, null));
        assertEquals(MeasuredRuntime.of(base(), "gpu-only"), MeasuredRuntime.of(back, "gpu-only"), "the other runtime tables as they were");
        Table1D t = (Table1D) back.table(IterationCost.table("static-hybrid:neo[runtime=two-thread]"));
        assertEquals("[-1.0, 0.0, 2.0, 4.0]", java.util.Arrays.toString(t.x()), "x: the median, then each kept term's code");
    }

    @Test
    void aProfileWithoutItIsLeftAsItWasAndWithoutRemovesEveryEnginesTable() {
        Profile p = base();
        assertNull(IterationCost.of(p, "apex"));
        assertSame(p, IterationCost.without(p));
        Profile two = IterationCost.with(IterationCost.with(p, "apex", COST), "gpu-only", COST);
        assertEquals(p.toJson(), IterationCost.without(two).toJson(), "without: the JSON of the profile before, byte for byte");
    }

    @Test
    void aBadTableOrCostIsRefusedNamingIt() {
        String table = IterationCost.table("apex");
        Profile noMedian = with(table, new Table1D("term", new double[] {0, 2}, new double[] {1 * US, 2 * US}));
        var e = assertThrows(ProfileException.class, () -> IterationCost.of(noMedian, "apex"));
        assertEquals("profile: table '" + table + "': no median (x = -1)", e.getMessage());
        Profile unknown = with(table, new Table1D("term", new double[] {-1, 7}, new double[] {1 * US, 2 * US}));
        e = assertThrows(ProfileException.class, () -> IterationCost.of(unknown, "apex"));
        assertEquals("profile: table '" + table + "': no term has code 7.0", e.getMessage());
        Profile onlyMedian = with(table, new Table1D("term", new double[] {-2, -1}, new double[] {1 * US, 2 * US}));
        e = assertThrows(ProfileException.class, () -> IterationCost.of(onlyMedian, "apex"));
        assertTrue(e.getMessage().contains("no term has code -2.0"), e.getMessage());
        var a = assertThrows(IllegalArgumentException.class, () -> new IterationCost(Map.of(), 1 * US));
        assertEquals("iteration cost: no term", a.getMessage());
        a = assertThrows(IllegalArgumentException.class, () -> new IterationCost(Map.of(Term.GPU_ROW, -1 * US), 1 * US));
        assertTrue(a.getMessage().startsWith("iteration cost: term GPU_ROW must cost"), a.getMessage());
        a = assertThrows(IllegalArgumentException.class, () -> new IterationCost(Map.of(Term.GPU_ROW, 1 * US), 0));
        assertTrue(a.getMessage().startsWith("iteration cost: median must be"), a.getMessage());
    }

    private static Profile with(String name, ProfileTable t) {
        Map<String, ProfileTable> tables = new HashMap<>(base().tables());
        tables.put(name, t);
        return new Profile(FP, tables, 0, "hand-made");
    }
}
