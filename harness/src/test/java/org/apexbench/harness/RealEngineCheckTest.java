package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.EngineRegistry;

/** The check gpu-check.sh runs on cuda, run here on cpu (fp32: no near-ties allowed) for one hybrid engine. */
class RealEngineCheckTest {
    @Test
    void apexOnTheCpuBackendPassesTheCheck() {
        String dir = System.getProperty("apex.fixtures");
        assumeTrue(dir != null && Files.isDirectory(Path.of(dir, "tiny-llama3")), "fixtures not found (apex.fixtures=" + dir + ")");
        assumeTrue(EngineRegistry.ids().contains("apex"), "engine apex is not on the class path");
        try (RealEngineCheck check = new RealEngineCheck("cpu", Path.of(dir, "tiny-llama3"))) {
            RealEngineCheck.Outcome o = check.check("apex", EngineOptions.NONE);
            assertNull(o.failure(), o.toString());
            assertEquals(check.requests().size(), o.exact(), "on cpu every request is bit-equal: " + o);
            assertEquals("cpu", o.run().result().executor());
        }
    }
}
