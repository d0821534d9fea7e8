package org.apexbench.model.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.BackendUnavailableException;
import org.apexbench.kernels.Backends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fixture models on the cuda backend against the Hugging Face references (tolerances and the
 * teacher-forced greedy check are explained in {@link FixtureParity}). Skipped visibly without a GPU.
 * The same check also runs here on the cpu backend with an fp16 KV cache, so its logic is exercised
 * on every machine.
 */
class CudaFixtureModelTest {
    private static Backend cuda;
    private static String unavailable;

    /** Only "no GPU here" is a skip; any other failure to open cuda fails the cuda cases (thrown again in each). */
    private static RuntimeException broken;

    @BeforeAll
    static void open() {
        try {
            cuda = Backends.open("cuda", 0);
        } catch (BackendUnavailableException e) {
            unavailable = e.getMessage();
        } catch (RuntimeException e) {
            broken = e;
        }
    }

    @AfterAll
    static void close() {
        if (cuda != null) cuda.close();
    }

    private static Path fixture(String name) {
        Path dir = Path.of(String.valueOf(System.getProperty("apex.fixtures")), name);
        if (!Files.isDirectory(dir)) throw new IllegalStateException("test-data model " + dir + " not found (expected testdata/models/" + name + ")");
        return dir;
    }

    private static void assertAllPass(List<FixtureParity.CaseResult> results) {
        assertEquals(4, results.size(), "cases per fixture");
        for (FixtureParity.CaseResult r : results) {
            System.out.println(r);
            assertTrue(r.failure() == null, r.toString());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama2", "tiny-llama3"})
    void cudaMatchesTheReference(String name) {
        if (broken != null) throw broken;
        assumeTrue(cuda != null, () -> "GPU test skipped: " + unavailable);
        assertAllPass(FixtureParity.check(cuda, fixture(name)));
    }

    @Test
    void theSameCheckPassesOnTheCpuBackendWithFp16Kv() {
        try (Backend cpu = Backends.open("cpu", 0)) {
            assertAllPass(FixtureParity.check(cpu, fixture("tiny-llama3")));
        }
    }
}
