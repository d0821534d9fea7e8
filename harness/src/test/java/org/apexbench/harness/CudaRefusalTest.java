package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where cuda cannot run (this build machine: no NVIDIA driver), `apex run|compare|profile --backend cuda`
 * accept the backend, then fail naming why, and never fall back to cpu (no results are written). Skipped
 * visibly where a GPU is present (there the same commands run: CudaRealEnginesTest, scripts/gpu-check.sh).
 */
class CudaRefusalTest {
    private static final String TINY = "synthetic:count=2,input=16,output=4,rate=4";

    @TempDir Path tmp;

    private static void assumeNoGpu() {
        assumeTrue(CudaProbe.unavailableReason() != null, "a CUDA GPU is usable here: the refusal path cannot be shown");
    }

    private static void assertRefusedNamingWhy(Cli r, Path out) {
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("cuda backend unavailable"), r.err());
        assertTrue(r.err().contains(CudaProbe.unavailableReason()), "the backend's own reason: " + r.err());
        assertFalse(r.out().contains("on the cpu backend"), "no fallback to cpu: " + r.out());
        assertFalse(Files.exists(out.resolve("summary.json")), "no results from a refused run");
    }

    @Test
    void runAndCompareRefuseCudaSayingWhy() {
        assumeNoGpu();
        String model = RealEngineRuns.tinyLlama3().toString();
        Path out = tmp.resolve("run");
        Cli run = Cli.run("run", "--backend", "cuda", "--engine", "gpu-only", "--model", model, "--requests", TINY,
                "--gpu-kv-blocks", "8", "--host-kv-blocks", "8", "--out", out.toString());
        assertRefusedNamingWhy(run, out);
        Path cmp = tmp.resolve("compare");
        Cli compare = Cli.run("compare", "--backend", "cuda", "--engines", "gpu-only,apex", "--model", model, "--requests", TINY,
                "--gpu-kv-blocks", "8", "--host-kv-blocks", "8", "--out", cmp.toString());
        assertRefusedNamingWhy(compare, cmp);
    }

    @Test
    void profileRefusesCudaSayingWhy() {
        assumeNoGpu();
        Path out = tmp.resolve("profile.json");
        Cli r = Cli.run("profile", "--backend", "cuda", "--model", RealEngineRuns.tinyLlama3().toString(), "--out", out.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("cuda backend unavailable"), r.err());
        assertFalse(Files.exists(out), "no profile from a refused backend");
    }

    @Test
    void cudaNeedsFp16KvAndExplicitPoolsOnAnyMachine() {
        String model = RealEngineRuns.tinyLlama3().toString();
        Cli kv = Cli.run("run", "--backend", "cuda", "--engine", "gpu-only", "--model", model, "--requests", TINY,
                "--gpu-kv-blocks", "8", "--host-kv-blocks", "8", "--kv-dtype", "f32", "--out", tmp.resolve("a").toString());
        assertEquals(1, kv.code());
        assertTrue(kv.err().contains("cuda keep KV in F16"), kv.err());
        Cli pools = Cli.run("run", "--backend", "cuda", "--engine", "gpu-only", "--model", model, "--requests", TINY,
                "--out", tmp.resolve("b").toString());
        assertEquals(1, pools.code());
        assertTrue(pools.err().contains("--backend cuda needs --gpu-kv-blocks and --host-kv-blocks"), pools.err());
    }
}
