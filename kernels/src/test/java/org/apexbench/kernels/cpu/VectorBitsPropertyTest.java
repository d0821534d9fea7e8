package org.apexbench.kernels.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.apexbench.kernels.BackendUnavailableException;
import org.apexbench.kernels.Backends;
import org.junit.jupiter.api.Test;

/**
 * A bad {@code -Dapex.vectorBits} is an error when the backend opens (the species are fixed per JVM, so this
 * runs a fresh JVM with the property set).
 */
class VectorBitsPropertyTest {
    /** Entry point of the child JVM: prints the error the backend gives, or "opened". */
    public static void main(String[] args) {
        try (var backend = Backends.open("cpu", 1)) {
            System.out.println("opened " + backend.describe());
        } catch (BackendUnavailableException e) {
            System.out.println("refused: " + e.getMessage());
        }
    }

    @Test
    void unsupportedWidthsAreRefusedWithTheReason() throws Exception {
        assertTrue(child("300").contains("refused: cpu backend: -Dapex.vectorBits=300: expected 0 (scalar), 128, 256 or 512"));
        assertTrue(child("wide").contains("is not a number"));
        assertTrue(child("128").contains("opened cpu vector=128-bit"));
    }

    private static String child(String bits) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "--add-modules", "jdk.incubator.vector", "-Dapex.vectorBits=" + bits,
                "-cp", System.getProperty("java.class.path"), VectorBitsPropertyTest.class.getName()))
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return output;
    }
}
