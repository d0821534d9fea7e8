package org.apexbench.harness;

import org.apexbench.reports.JsonFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Engines with their own options on the command line: apex[recalibrate=true]. */
class EngineChoiceTest {
    @TempDir Path tmp;

    @Test
    void bracketOptionsExtendAndOverrideTheGlobalOnes() {
        EngineChoice c = EngineChoice.parse(" apex[recalibrate=true, marginPct=5] ", Map.of("marginPct", "2", "pipeline", "false"));
        assertEquals("apex", c.engineId());
        assertEquals("apex[recalibrate=true, marginPct=5]", c.label());
        assertEquals(Map.of("recalibrate", "true", "marginPct", "5", "pipeline", "false"), c.options());
        EngineChoice plain = EngineChoice.parse("static-hybrid:neo", Map.of("runtime", "two-thread"));
        assertEquals("static-hybrid:neo", plain.engineId());
        assertEquals(Map.of("runtime", "two-thread"), plain.options());
    }

    @Test
    void malformedEngineOptionsAreClearErrors() {
        for (String bad : List.of("apex[", "apex]", "apex[]", "[x=1]", "apex[x]", "apex[=1]", "apex[x=]", "apex[x=1]y", "apex[x=1][y=2]")) {
            var e = assertThrows(IllegalArgumentException.class, () -> EngineChoice.parse(bad, Map.of()), bad);
            assertTrue(e.getMessage().startsWith("engine '" + bad + "': expected"), e.getMessage());
        }
    }

    @Test
    void theEnginesListSplitsOnlyAtCommasOutsideBrackets() {
        assertEquals(List.of("gpu-only", "apex[recalibrate=true,marginPct=5]", "static-hybrid:neo"),
                List.of("gpu-only,apex[recalibrate=true,marginPct=5],static-hybrid:neo".split(EngineChoice.LIST_SPLIT)));
    }

    @Test
    void compareRunsTwoVariantsOfOneEngineSideBySide() throws Exception {
        Cli r = Cli.run("compare", "--engines", "apex,apex[recalibrate=true,marginPct=10]", "--requests",
                "synthetic:count=10,input=200,output=30,rate=4", "--out", tmp.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("apex[recalibrate=true,marginPct=10]"), r.out());
        var variant = (Map<?, ?>) JsonFiles.read(tmp.resolve("apex-recalibrate-true-marginPct-10/summary.json")).get("run_spec");
        assertEquals(Map.of("recalibrate", "true", "marginPct", "10"), variant.get("engine_options"));
        var plain = (Map<?, ?>) JsonFiles.read(tmp.resolve("apex/summary.json")).get("run_spec");
        assertEquals(Map.of(), plain.get("engine_options"));
        assertEquals(3, Files.readAllLines(tmp.resolve("comparison.csv")).size());
        Cli bad = Cli.run("compare", "--engines", "gpu-only,gpu-only[preemption=sideways]", "--requests",
                "synthetic:count=4,input=100,output=10", "--out", tmp.resolve("bad").toString(), "--quiet");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("preemption"), bad.err());
    }
}
