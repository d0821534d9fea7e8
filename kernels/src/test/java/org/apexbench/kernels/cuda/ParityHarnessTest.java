package org.apexbench.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Backends;
import org.junit.jupiter.api.Test;

/**
 * Runs the GPU parity harness with the cpu backend on both sides (no GPU needed): every case must
 * pass with zero error, which checks the harness's plumbing (dtype encoding, KV filling, block tables,
 * tolerances) and that the cpu sampler follows the sampling convention of the cuda kernel
 * (descending probability, ties by index, nucleus then first cumulative mass above u * kept mass).
 */
class ParityHarnessTest {
    @Test
    void cpuAgainstCpuPassesEveryCase() {
        try (Backend a = Backends.open("cpu", 2); Backend b = Backends.open("cpu", 1)) {
            List<ParityChecks.Result> results = new ParityChecks(a, b).runAll();
            assertTrue(results.size() > 30, "expected the full op matrix, got " + results.size());
            String bad = results.stream().filter(r -> !r.passed() || r.maxAbsError() > 1e-4).map(Object::toString)
                    .collect(Collectors.joining("\n"));
            assertTrue(bad.isEmpty(), "cpu vs cpu must agree:\n" + bad);
        }
    }
}
