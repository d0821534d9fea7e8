package org.apexbench.profiler.hardware;

import org.apexbench.profiler.TestModels;
import org.apexbench.profiler.model.ModelGeometry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** vLLM's KV-pool rule worked by hand (the numbers of docs/fidelity.md#gpu-memory). */
class GpuMemoryTest {
    private static final double GIB = 1024.0 * 1024 * 1024;
    private static final ModelGeometry LLAMA2 = TestModels.LLAMA_2_7B;
    private static final ModelGeometry LLAMA31 = TestModels.LLAMA_3_1_8B;
    private final HardwareSpec.Gpu t4 = HardwareSpecs.builtIn("t4-g4dn.4xlarge").gpu();
    private final HardwareSpec.Gpu a10g = HardwareSpecs.builtIn("a10g-g5.8xlarge").gpu();

    @Test
    void activationPeakMatchesThePublishedSplit() {
        // vLLM PR #10511: Llama-3-8B, 8,192 tokens over 256 sequences, "PyTorch activation peak memory takes 1.26GiB"
        double modelled = GpuMemory.activationPeakBytes(LLAMA31, 8192, 256) / GIB;
        assertEquals(1.30, modelled, 0.005);
        assertEquals(1.26, modelled, 0.05 * 1.26);
        // by hand: tokens x 2 B x (3 I + 2 q + 2 kv + 2 h) + 3 x seqs x vocab x 4 B
        assertEquals(864L * 2 * (3 * 11008 + 2 * 4096 + 2 * 4096 + 2 * 4096) + 3L * 512 * 32000 * 4,
                GpuMemory.activationPeakBytes(LLAMA2, 864, 512));
    }

    @Test
    void t4WithLlama2HoldsNoBlockAtVllmsDefaultAndAbout159AtNeosUtilization() {
        assertEquals(14.57, t4.memoryBytes() / GIB, 1e-9);
        GpuMemory.KvPool neo = GpuMemory.kvPool(t4, LLAMA2, 0, 0.99, 864, 512, 16);
        double kv = 14.57 * GIB * 0.99 - 6_738_415_616L * 2 - GpuMemory.CONTEXT_BYTES - GpuMemory.activationPeakBytes(LLAMA2, 864, 512);
        assertEquals(kv, neo.kvBytes(), 1);
        assertEquals((int) (kv / (16L * 32 * 2 * 4096 * 2)), neo.blocks());
        assertEquals(159, neo.blocks());
        GpuMemory.KvPool vllm = GpuMemory.kvPool(t4, LLAMA2, 0, GpuMemory.VLLM_DEFAULT_UTILIZATION, 864, 512, 16);
        assertEquals(0, vllm.blocks());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GpuMemory.requireBlocks(vllm, "t4-g4dn.4xlarge + llama-2-7b"));
        for (String term : new String[] {"t4-g4dn.4xlarge + llama-2-7b", "reported GPU memory 14.57 GiB", "utilization 0.90",
                "weights 12.55 GiB", "CUDA context and workspaces 0.35 GiB", "activation peak 0.28 GiB (864 tokens over 512 sequences)",
                "= -0.", "--gpu-memory-utilization", "--max-tokens", "--gpu-kv-blocks"}) {
            assertTrue(e.getMessage().contains(term), term + " missing from: " + e.getMessage());
        }
    }

    @Test
    void a100WithLlama2MatchesVllmsLoggedPool() {
        // vLLM PR #2031 (0.2.x, A100 80GB, Llama-2-7B, utilization 0.9): "# GPU blocks 7449 -> 7351" (the profiling fix);
        // 0.2.x's defaults: 2,560 batched tokens, 256 sequences
        int blocks = GpuMemory.kvPool(HardwareSpecs.builtIn("a100-80gb-sxm").gpu(), LLAMA2, 0, 0.9, 2560, 256, 16).blocks();
        assertEquals(7351, blocks, 0.01 * 7351);
    }

    @Test
    void a10gWithLlama31AtVllmsDefaultBatch() {
        GpuMemory.KvPool p = GpuMemory.kvPool(a10g, LLAMA31, 0, 0.9, 2048, 256, 16);
        assertEquals(1983, p.blocks());   // scripts/fidelity: 21.98 GiB x 0.9 - 14.96 - 0.60 - 0.35 = 3.87 GiB
        assertEquals(2L * 1024 * 1024, p.blockBytes());
        // the sequence cap is at most the token budget, and a cap on the GPU memory is applied before the utilization
        assertEquals(16, GpuMemory.kvPool(a10g, LLAMA31, 0, 0.9, 16, 256, 16).profileSeqs());
        GpuMemory.KvPool capped = GpuMemory.kvPool(a10g, LLAMA31, 20L << 30, 0.9, 2048, 256, 16);
        assertEquals(20L << 30, capped.totalBytes());
        assertTrue(capped.blocks() < p.blocks());
        assertThrows(IllegalArgumentException.class, () -> GpuMemory.kvPool(a10g, LLAMA31, 0, 1.2, 2048, 256, 16));
        assertThrows(IllegalArgumentException.class, () -> GpuMemory.kvPool(a10g, LLAMA31, 0, 0, 2048, 256, 16));
    }
}
