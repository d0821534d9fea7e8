package org.apexbench.profiler.table;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apexbench.profiler.cost.RooflineCostModel;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.model.ModelGeometry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 11: a profile with negative, zero or 1e300-second cells was accepted (APEX's error rose to 82%). */
class ProfileBoundsTest {
    static final ModelGeometry MODEL = org.apexbench.profiler.TestModels.LLAMA_2_7B;
    static final RooflineCostModel SIM = new RooflineCostModel(HardwareSpecs.builtIn("t4-g4dn.4xlarge"), MODEL);
    static final Profile PROFILE = ProfileSweep.sweep(SIM, SweepGrid.defaults(2048, 64, 3000, 200_000, 4096, 2L << 30),
            ProfileFingerprint.forSim(HardwareSpecs.builtIn("t4-g4dn.4xlarge"), MODEL, 16), SIM.describe());
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path dir;

    private String withCell(String table, String value) throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(PROFILE.toJson());
        ObjectNode t = (ObjectNode) root.get("tables").get(table);
        ArrayNode seconds = (ArrayNode) t.get("seconds");
        if (seconds.get(0).isArray()) ((ArrayNode) seconds.get(1)).set(2, JSON.readTree(value));
        else seconds.set(3, JSON.readTree(value));
        return JSON.writeValueAsString(root);
    }

    @Test
    void everyCellMustBeAMeasuredTime() throws Exception {
        for (String bad : new String[] {"-0.001", "0", "0.0", "1e300", "1e400", "3601"}) {
            Path f = Files.writeString(dir.resolve("p.json"), withCell("pre", bad));
            ProfileException e = assertThrows(ProfileException.class, () -> Profile.load(f));
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("table 'pre' cell [3] (x=")
                    && e.getMessage().contains("every cell must be a measured time in (0, 3600.0] s"), bad + ": " + e.getMessage());
        }
        Path f = Files.writeString(dir.resolve("q.json"), withCell("cpuDecodeAttn", "-5"));
        ProfileException e = assertThrows(ProfileException.class, () -> Profile.load(f));
        assertTrue(e.getMessage().contains("table 'cpuDecodeAttn' cell [1][2] (x=") && e.getMessage().contains("is -5.0 s"), e.getMessage());
        Path nan = Files.writeString(dir.resolve("nan.json"), withCell("post", "1").replaceFirst("\"seconds\" ?: ?\\[", "\"seconds\":[NaN,"));
        e = assertThrows(ProfileException.class, () -> Profile.load(nan));
        assertTrue(e.getMessage().startsWith("profile " + nan), e.getMessage());
        assertEquals(PROFILE, Profile.fromJson(PROFILE.toJson(), "round trip"), "a measured profile passes");
    }

    @Test
    void unreadableOrMalformedFilesNameTheFileAndField() throws Exception {
        ProfileException e = assertThrows(ProfileException.class, () -> Profile.load(dir.resolve("none.json")));
        assertEquals("profile " + dir.resolve("none.json") + ": no such file", e.getMessage());
        Path bin = dir.resolve("bin.json");
        Files.write(bin, new byte[] {'{', (byte) 0xff, (byte) 0xfe, '}'});
        e = assertThrows(ProfileException.class, () -> Profile.load(bin));
        assertTrue(e.getMessage().contains("not UTF-8 text"), e.getMessage());
        String noTable = PROFILE.toJson().replace("\"lmHead\"", "\"lmHeadX\"");
        e = assertThrows(ProfileException.class, () -> Profile.fromJson(noTable, "x.json"));
        assertTrue(e.getMessage().startsWith("profile x.json: ") && e.getMessage().contains("table 'lmHead' missing"), e.getMessage());
        e = assertThrows(ProfileException.class, () -> Profile.fromJson("{\"fingerprint\": 3}", "y.json"));
        assertTrue(e.getMessage().startsWith("profile y.json: at fingerprint: "), e.getMessage());
        e = assertThrows(ProfileException.class, () -> Profile.fromJson("null", "z.json"));
        assertTrue(e.getMessage().startsWith("profile z.json: "), e.getMessage());
    }
}
