package org.apexbench.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;
import org.apexbench.kernels.BackendUnavailableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The PTX the build packaged: every kernel the backend launches is there, and the sources compile. */
class PtxBuildTest {
    /** Every kernel name CudaBackend launches (see its launch(...) calls). */
    static List<String> expectedKernels() {
        List<String> k = new ArrayList<>(List.of("rope", "silu_mul", "mark_nonfinite", "kv_append", "decode_combine", "argmax_rows", "sample_rows", "gemm_splitk_reduce"));
        for (String t : List.of("f16", "bf16", "f32")) {
            k.add("embedding_" + t);
            k.add("rmsnorm_" + t);
            k.add("gemm_tc_" + t);
            k.add("gemm_tc128_" + t);
            for (int rt : new int[] {1, 2, 4, 8, 16}) k.add("gemv_" + t + "_r" + rt);
        }
        for (int g : new int[] {1, 2, 4, 8}) k.add("decode_attn_g" + g);
        for (int d : new int[] {1, 2, 4, 8, 16}) k.add("prefill_attn_d" + d);
        return k;
    }

    @Test
    void packagedPtxDeclaresEveryKernel() {
        Properties build = KernelModules.buildInfo();
        assertTrue(build.containsKey("nvcc"), "ptx-build.properties must always be written by the build");
        assumeTrue(CudaTestSupport.kernelsBuilt(), "built without nvcc (" + build.getProperty("nvcc") + "): no PTX to check");
        Set<String> entries = new HashSet<>();
        for (String module : KernelModules.moduleNames(build)) {
            byte[] ptx = KernelModules.resource(module + ".ptx");
            assertNotNull(ptx, "ptx/" + module + ".ptx missing from the jar");
            String text = new String(ptx, StandardCharsets.US_ASCII);
            assertTrue(text.contains(".target sm_75"), module + ".ptx must target compute_75");
            assertTrue(text.contains(".version " + build.getProperty("ptx.isa")), module + ".ptx ISA must be the recorded one");
            entries.addAll(KernelModules.entries(text));
        }
        for (String k : expectedKernels()) assertTrue(entries.contains(k), "no .entry " + k + " in the packaged PTX: " + entries);
        assertTrue(build.getProperty("flags").contains("-arch=compute_75"), build.toString());
    }

    @Test
    void jarWithoutKernelsSaysSo() {
        Properties absent = new Properties();
        absent.setProperty("nvcc", "absent");
        absent.setProperty("kernels", "");
        var e = assertThrows(BackendUnavailableException.class, () -> KernelModules.moduleNames(absent));
        assertTrue(e.getMessage().contains("this jar has no CUDA kernels (built without nvcc"), e.getMessage());
    }

    @Test
    void entryNamesAreParsedFromPtx() {
        String ptx = ".visible .entry gemv_f16_r1(\n .param .u64 a\n)\n.visible .entry rope(\n";
        assertEquals(List.of("gemv_f16_r1", "rope"), KernelModules.entries(ptx));
    }

    /** Compiles every .cu with the build's flags and lets ptxas check registers/resources for sm_75 and sm_90. */
    @Test
    void everySourceCompilesAndAssemblesForSm75AndSm90(@TempDir Path tmp) throws Exception {
        Path nvcc = onPath("nvcc"), ptxas = onPath("ptxas");
        assumeTrue(nvcc != null && ptxas != null, "nvcc/ptxas not on the PATH");
        Path src = Path.of("src/main/cuda");
        List<Path> sources;
        try (Stream<Path> s = Files.list(src)) {
            sources = s.filter(p -> p.toString().endsWith(".cu")).sorted().toList();
        }
        assertTrue(sources.size() >= 4, "expected the kernel sources in " + src.toAbsolutePath());
        String flags = KernelModules.buildInfo().getProperty("flags", "-ptx -arch=compute_75 -O3 -std=c++17 -lineinfo");
        for (Path cu : sources) {
            Path ptx = tmp.resolve(cu.getFileName() + ".ptx");
            List<String> cmd = new ArrayList<>(List.of(nvcc.toString()));
            cmd.addAll(List.of(flags.split(" ")));
            cmd.addAll(List.of("-o", ptx.toString(), cu.toString()));
            run(cmd);
            for (String arch : List.of("sm_75", "sm_90")) run(List.of(ptxas.toString(), "-arch=" + arch, ptx.toString(), "-o", "/dev/null"));
        }
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + " failed:\n" + out);
    }

    private static Path onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir, tool);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }
}
