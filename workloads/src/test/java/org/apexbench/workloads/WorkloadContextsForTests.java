package org.apexbench.workloads;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** Trace-backed test contexts; tests skip visibly when the traces directory is not configured. */
final class WorkloadContextsForTests {
    private WorkloadContextsForTests() {}

    static WorkloadContext withTraces(int vocab, int maxContext) {
        String dir = System.getProperty(WorkloadContext.TRACES_PROPERTY);
        Assumptions.assumeTrue(dir != null && Files.isRegularFile(Path.of(dir, "splitwise_conv.csv")),
                "traces not available: set -D" + WorkloadContext.TRACES_PROPERTY + " to shared/traces (got " + dir + ")");
        return new WorkloadContext(vocab, maxContext, Path.of(dir));
    }
}
