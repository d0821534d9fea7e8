package org.apexbench.profiler.hardware;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HardwareSpecsTest {
    @Test
    void everyBuiltInLoadsAndCitesASourceForEveryNumber() throws Exception {
        assertTrue(HardwareSpecs.ids().containsAll(List.of("t4-g4dn.4xlarge", "a10g-g5.2xlarge", "a10g-g5.4xlarge",
                "a10g-g5.8xlarge", "a10g-g5.16xlarge", "l4-g6.4xlarge", "a100-80gb-sxm", "h100-sxm", "a40")));
        ObjectMapper m = new ObjectMapper();
        for (String id : HardwareSpecs.ids()) {
            HardwareSpec spec = HardwareSpecs.builtIn(id);
            assertEquals(id, spec.id());
            try (InputStream in = HardwareSpecs.class.getResourceAsStream(id + ".json")) {
                JsonNode root = m.readTree(in);
                List<String> missing = new ArrayList<>();
                for (String section : List.of("gpu", "link", "host")) {
                    for (Map.Entry<String, JsonNode> e : root.get(section).properties()) {
                        String path = section + "." + e.getKey();
                        if (spec.source(path) != null) {
                            continue;   // a source for an object (a fitted parameter set) covers its fields
                        }
                        if (!e.getValue().isObject()) {
                            missing.add(path);
                        }
                        for (Map.Entry<String, JsonNode> leaf : e.getValue().properties()) {
                            if (spec.source(path + "." + leaf.getKey()) == null) {
                                missing.add(path + "." + leaf.getKey());
                            }
                        }
                    }
                }
                assertTrue(missing.isEmpty(), id + " has no source for " + missing);
            }
        }
    }

    @Test
    void t4MatchesItsDatasheetAndMeasuredPcie() {
        HardwareSpec t4 = HardwareSpecs.builtIn("t4-g4dn.4xlarge");
        assertEquals(320e9, t4.gpu().memoryBandwidthBytesPerSec(), 1);
        assertEquals(31.5e12, t4.gpu().fp16TensorFlopsPerSec(), 1);   // sustained under the 70 W cap, not the datasheet 65
        assertEquals(6.27e9, t4.link().h2dBytesPerSec(), 1);   // nvbandwidth on a g4dn.4xlarge: the T4 sits at 8 lanes
        assertEquals(8, t4.host().cores());
    }

    @Test
    void g5HostBandwidthFollowsTheTopology() {
        // 2x and 4x (4 and 8 cores) sit behind one CCD link (37 GB/s measured on the instances), 8x behind two, 16x behind
        // four, where the socket binds first (204.8 x 0.587, as measured on a g5.16xlarge)
        double[] expected = {37e9, 37e9, 74e9, 204.8e9 * 0.587};
        List<String> sizes = List.of("2xlarge", "4xlarge", "8xlarge", "16xlarge");
        for (int i = 0; i < sizes.size(); i++) {
            double bw = HardwareSpecs.builtIn("a10g-g5." + sizes.get(i)).host().attentionBandwidthBytesPerSec();
            assertEquals(expected[i], bw, 1e3, sizes.get(i));
        }
        // the T4's Cascade Lake has no memory domains: 8 cores x 11.3 GB/s (measured on the instance), under the socket's 105.6
        assertEquals(90.4e9, HardwareSpecs.builtIn("t4-g4dn.4xlarge").host().attentionBandwidthBytesPerSec(), 1e3);
    }

    @Test
    void memoryDomainsNeedALinkBandwidth() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new HardwareSpec.Host("x", 4, 8, 96,
                100, 0.75, 10, 8, 0, 10, 0, 0, 1L << 30));
        assertTrue(e.getMessage().contains("host.memoryDomainGBps"), e.getMessage());
    }

    @Test
    void unknownIdListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HardwareSpecs.builtIn("v100"));
        assertTrue(e.getMessage().contains("'v100'") && e.getMessage().contains("t4-g4dn.4xlarge")
                && e.getMessage().contains("h100-sxm"), e.getMessage());
    }

    @Test
    void userFileRoundTrips(@TempDir Path dir) throws Exception {
        HardwareSpec t4 = HardwareSpecs.builtIn("t4-g4dn.4xlarge");
        Path f = dir.resolve("mine.json");
        Files.writeString(f, HardwareSpecs.toJson(t4));
        assertEquals(t4, HardwareSpecs.load(f));
        assertEquals(t4, HardwareSpecs.resolve(f.toString()));
    }

    @Test
    void badValueNamesFileAndField(@TempDir Path dir) throws Exception {
        String json = HardwareSpecs.toJson(HardwareSpecs.builtIn("t4-g4dn.4xlarge"))
                .replace("\"memoryBandwidthGBps\" : 320.0", "\"memoryBandwidthGBps\" : -5");
        Path f = dir.resolve("bad.json");
        Files.writeString(f, json);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HardwareSpecs.load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("gpu.memoryBandwidthGBps")
                && e.getMessage().contains("-5"), e.getMessage());
    }

    @Test
    void missingFieldNamesIt(@TempDir Path dir) throws Exception {
        String json = HardwareSpecs.toJson(HardwareSpecs.builtIn("t4-g4dn.4xlarge")).replace("\"cores\" : 8,", "");
        Path f = dir.resolve("missing.json");
        Files.writeString(f, json);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HardwareSpecs.load(f));
        assertTrue(e.getMessage().contains("missing.json") && e.getMessage().contains("cores"), e.getMessage());
    }

    @Test
    void wrongTypeAndUnknownFieldAreNamed(@TempDir Path dir) throws Exception {
        String base = HardwareSpecs.toJson(HardwareSpecs.builtIn("t4-g4dn.4xlarge"));
        Path f = dir.resolve("type.json");
        Files.writeString(f, base.replace("\"h2dGBps\" : 6.27", "\"h2dGBps\" : \"fast\""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HardwareSpecs.load(f));
        assertTrue(e.getMessage().contains("link.h2dGBps"), e.getMessage());
        Files.writeString(f, base.replace("\"cores\" : 8,", "\"cores\" : 8, \"coers\" : 8,"));
        e = assertThrows(IllegalArgumentException.class, () -> HardwareSpecs.load(f));
        assertTrue(e.getMessage().contains("coers"), e.getMessage());
        Files.writeString(f, "{ not json");
        e = assertThrows(IllegalArgumentException.class, () -> HardwareSpecs.load(f));
        assertTrue(e.getMessage().contains("type.json") && e.getMessage().contains("malformed"), e.getMessage());
    }

    @Test
    void gpuMemoryCanBeCappedButNotRaised() {
        HardwareSpec h100 = HardwareSpecs.builtIn("h100-sxm");
        HardwareSpec capped = h100.withGpuMemoryCap(16L << 30);
        assertEquals(16L << 30, capped.gpu().memoryBytes());
        assertEquals(h100.gpu().memoryBandwidthGBps(), capped.gpu().memoryBandwidthGBps());
        assertTrue(capped.description().contains("capped"));
        assertThrows(IllegalArgumentException.class, () -> h100.withGpuMemoryCap(200L << 30));
    }

    @Test
    void vmBiggerThanItsSocketIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new HardwareSpec.Host("x", 4, 200, 96,
                100, 0.75, 10, 0, 0, 10, 0, 0, 1L << 30));
        assertTrue(e.getMessage().contains("host.vcpus"), e.getMessage());
        assertFalse(e.getMessage().isBlank());
    }
}
