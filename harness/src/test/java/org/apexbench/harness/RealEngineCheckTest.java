package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import org.apexbench.engine.EngineOptions;

/** The check gpu-check.sh runs on cuda, run here on cpu (fp32: no near-ties allowed) for one hybrid engine. */
class RealEngineCheckTest {
    @Test
    void apexOnTheCpuBackendPassesTheCheck() {
        Path fixture = RealEngineRuns.tinyLlama3();
        RealEngineRuns.assumeOnClassPath("apex");
        try (RealEngineCheck check = new RealEngineCheck("cpu", fixture)) {
            RealEngineCheck.Outcome o = check.check("apex", EngineOptions.NONE);
            assertNull(o.failure(), o.toString());
            assertEquals(check.requests().size(), o.exact(), "on cpu every request is bit-equal: " + o);
            assertEquals("cpu", o.run().result().executor());
        }
    }
}
