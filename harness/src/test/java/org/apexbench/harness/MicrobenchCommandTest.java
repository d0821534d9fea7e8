package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MicrobenchCommandTest {
    @Test
    void gemvPrintsOneMeasurementLine() {
        Cli r = Cli.run("microbench", "cpu-gemv", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().trim().matches("gemv_gbps=[0-9.]+ stream_gbps=[0-9.]+ ratio=[0-9.]+"), r.out());
    }

    @Test
    void unknownKernelListsTheKnownOnes() {
        Cli r = Cli.run("microbench", "gpu-magic");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown kernel 'gpu-magic'; known: cpu-attention, cpu-gemv"), r.err());
        r = Cli.run("microbench", "cpu-gemv", "--threads", "-2");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--threads must be between 0 (all processors) and "), r.err());
    }
}
