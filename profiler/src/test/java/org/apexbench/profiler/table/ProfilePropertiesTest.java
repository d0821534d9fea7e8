package org.apexbench.profiler.table;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.apexbench.profiler.cost.RooflineCostModel;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.model.ModelGeometry;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Property-based test (QuickTheories) of profile files: a measured profile with random edits (any value replaced by
 * a random JSON value, a field removed, characters inserted or cut) either loads as a profile whose every cell is a
 * time in (0, 3600] s on strictly increasing grids, or fails with {@link ProfileException} naming the file. Seeded
 * (apex.property.seed, default 11); apex.property.examples sets the count.
 */
class ProfilePropertiesTest {
    static final long SEED = Long.getLong("apex.property.seed", 11);
    static final int EXAMPLES = Integer.getInteger("apex.property.examples", 300);
    static final ObjectMapper JSON = new ObjectMapper();
    static final ModelGeometry MODEL = org.apexbench.profiler.TestModels.LLAMA_2_7B;
    static final RooflineCostModel SIM = new RooflineCostModel(HardwareSpecs.builtIn("t4-g4dn.4xlarge"), MODEL);
    /** A small measured profile (few grid points), the start of every mutation. */
    static final String VALID = ProfileSweep.sweep(SIM, SweepGrid.defaults(64, 8, 300, 2000, 256, 1L << 20),
            ProfileFingerprint.forSim(HardwareSpecs.builtIn("t4-g4dn.4xlarge"), MODEL, 16), SIM.describe()).toJson();

    static final List<String> VALUES = List.of("0", "-1", "1e-3", "2.5", "1e300", "1e400", "-1e400", "\"x\"", "null", "true", "[]",
            "[1, 2]", "[[1, 2], [3]]", "{}", "{\"kind\": \"1d\"}", "9999999999999", "\"2d\"", "\"1d\"", "[0.001, 0.001]");

    /** A tree edit: replace the n-th node (in document order) with a value, or remove it from its parent. */
    record Edit(int node, int value, boolean remove) {}

    static final Gen<Edit> EDIT = integers().between(0, 100_000).zip(integers().between(0, VALUES.size() - 1),
            Generate.booleans(), Edit::new);

    static String apply(List<Edit> edits, List<Integer> cuts) {
        try {
            JsonNode root = JSON.readTree(VALID);
            for (Edit e : edits) {
                List<JsonNode[]> nodes = new ArrayList<>();   // {parent, child}, in document order
                collect(root, nodes);
                JsonNode[] pick = nodes.get(e.node() % nodes.size());
                replace(pick[0], pick[1], e.remove() ? null : JSON.readTree(VALUES.get(e.value())));
            }
            StringBuilder text = new StringBuilder(JSON.writeValueAsString(root));
            for (int c : cuts) if (!text.isEmpty()) text.deleteCharAt(c % text.length());
            return text.toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void collect(JsonNode parent, List<JsonNode[]> out) {
        for (JsonNode child : parent) {
            out.add(new JsonNode[] {parent, child});
            collect(child, out);
        }
    }

    private static void replace(JsonNode parent, JsonNode child, JsonNode with) {
        if (parent instanceof ObjectNode o) {
            var it = o.properties().iterator();
            while (it.hasNext()) {
                var e = it.next();
                if (e.getValue() == child) {
                    if (with == null) o.remove(e.getKey());
                    else o.set(e.getKey(), with);
                    return;
                }
            }
        } else if (parent instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                if (a.get(i) == child) {
                    if (with == null) a.remove(i);
                    else a.set(i, with);
                    return;
                }
            }
        }
    }

    @Test
    void mutatedProfilesLoadOrFailNamingTheFile() {
        qt().withFixedSeed(SEED).withExamples(EXAMPLES).forAll(lists().of(EDIT).ofSizeBetween(1, 3),
                lists().of(integers().between(0, 1_000_000)).ofSizeBetween(0, 1)).checkAssert((edits, cuts) -> {
                    String text = apply(edits, cuts);
                    Profile p;
                    try {
                        p = Profile.fromJson(text, "mutated.json");
                    } catch (ProfileException e) {
                        assertTrue(e.getMessage().startsWith("profile mutated.json"), e.getMessage());
                        return;
                    } catch (Throwable t) {
                        fail("gave " + t + " instead of a ProfileException for " + edits + " " + cuts, t);
                        return;
                    }
                    for (var e : p.tables().entrySet()) {
                        switch (e.getValue()) {
                            case Table1D t -> {
                                increasing(t.x());
                                for (double v : t.seconds()) assertTrue(v > 0 && v <= Profile.MAX_CELL_SEC, e.getKey() + ": " + v);
                            }
                            case Table2D t -> {
                                increasing(t.x());
                                increasing(t.y());
                                for (double[] row : t.seconds()) for (double v : row) assertTrue(v > 0 && v <= Profile.MAX_CELL_SEC, e.getKey() + ": " + v);
                            }
                        }
                    }
                    assertTrue(p.launchSecPerKernel() >= 0 && p.launchSecPerKernel() <= Profile.MAX_CELL_SEC);
                });
    }

    private static void increasing(double[] grid) {
        for (int i = 1; i < grid.length; i++) assertTrue(Double.isFinite(grid[i]) && grid[i] > grid[i - 1]);
    }

    @Test
    void theUnmutatedProfileLoads() {
        assertTrue(Profile.fromJson(VALID, "valid.json").tables().size() == Profile.TABLE_NAMES.size());
    }
}
