package org.apexbench.profiler.cost;

import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.model.ModelGeometry;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RooflineCostModelTest {
    private final HardwareSpec t4 = HardwareSpecs.builtIn("t4-g4dn.4xlarge");
    private final ModelGeometry llama2 = org.apexbench.profiler.TestModels.LLAMA_2_7B;
    private final RooflineCostModel model = new RooflineCostModel(t4, llama2);

    @Test
    void decodeGemmIsBandwidthBound() {
        double layer = model.seconds(Op.PRE, SubtaskFeatures.linear(1)) + model.seconds(Op.POST, SubtaskFeatures.linear(1));
        double weightsOnly = llama2.layerWeightBytes() / (t4.gpu().memoryBandwidthBytesPerSec() * t4.gpu().gemmBandwidthEfficiency());
        double launches = 10 * t4.gpu().kernelLaunchSec();
        assertEquals(weightsOnly + launches, layer, 0.01 * layer);
        // Back of the envelope: reading Llama-2-7B once on a T4 takes ~54 ms at ~250 GB/s
        double all = llama2.layers() * layer;
        assertTrue(all > 0.045 && all < 0.065, "decode step linear time " + all);
        // and 8 rows cost barely more than 1 (memory-bound)
        double eight = model.seconds(Op.POST, SubtaskFeatures.linear(8));
        assertTrue(eight < 1.02 * model.seconds(Op.POST, SubtaskFeatures.linear(1)));
    }

    @Test
    void bigPrefillIsComputeBound() {
        int rows = 4096;
        double t = model.seconds(Op.POST, SubtaskFeatures.linear(rows));
        double compute = (double) rows * llama2.postFlopsPerToken() / (t4.gpu().fp16TensorFlopsPerSec() * t4.gpu().gemmComputeEfficiency());
        assertEquals(compute + 6 * t4.gpu().kernelLaunchSec(), t, 1e-9);
        double half = model.seconds(Op.POST, SubtaskFeatures.linear(rows / 2));
        assertEquals(2, t / half, 0.01);   // linear in rows once compute-bound
    }

    @Test
    void decodeAttentionReadsTheKvOnce() {
        double gpu = model.seconds(Op.GPU_DECODE_ATTN, SubtaskFeatures.decode(4, 4000));
        double kv = 4000.0 * llama2.kvBytesPerTokenPerLayer();
        double expected = (kv + 4.0 * llama2.qAndOutBytesPerToken())
                / (t4.gpu().memoryBandwidthBytesPerSec() * t4.gpu().attentionBandwidthEfficiency()) + 2 * t4.gpu().kernelLaunchSec();
        assertEquals(expected, gpu, 1e-12);
        double cpu = model.seconds(Op.CPU_DECODE_ATTN, SubtaskFeatures.decode(4, 4000));
        double cpuBw = t4.host().attentionBandwidthBytesPerSec();
        assertTrue(cpu > kv / cpuBw && cpu < kv / cpuBw * 1.1 + 1e-4, "cpu attention " + cpu);
        // NEO's rule of thumb: 100K CPU tokens of Llama-2-7B at 100 GB/s ~ 16 ms per layer; at our 35 GB/s ~ 47 ms
        double big = model.seconds(Op.CPU_DECODE_ATTN, SubtaskFeatures.decode(100, 100_000));
        assertEquals(100_000.0 * 16384 / cpuBw, big, 0.05 * big);
        assertEquals(0, model.seconds(Op.CPU_DECODE_ATTN, SubtaskFeatures.decode(0, 0)));
    }

    @Test
    void cpuAttentionSpeedFollowsTheVmsBandwidth() {
        SubtaskFeatures f = SubtaskFeatures.decode(32, 64_000);
        double small = new RooflineCostModel(HardwareSpecs.builtIn("a10g-g5.2xlarge"), org.apexbench.profiler.TestModels.LLAMA_3_1_8B)
                .seconds(Op.CPU_DECODE_ATTN, f);
        double large = new RooflineCostModel(HardwareSpecs.builtIn("a10g-g5.16xlarge"), org.apexbench.profiler.TestModels.LLAMA_3_1_8B)
                .seconds(Op.CPU_DECODE_ATTN, f);
        assertTrue(small > 6 * large, small + " vs " + large);
    }

    @Test
    void copiesPayLatencyPerTransferPlusBandwidth() {
        double one = model.seconds(Op.SWAP_IN, SubtaskFeatures.copy(12_000_000, 1));
        assertEquals(10e-6 + 12e6 / 12e9, one, 1e-12);
        double four = model.seconds(Op.SWAP_IN, SubtaskFeatures.copy(12_000_000, 4));
        assertEquals(40e-6 + 12e6 / 12e9, four, 1e-12);
        assertEquals(0, model.seconds(Op.QKV_D2H, SubtaskFeatures.copy(0, 0)));
        assertEquals(3 * 5e-6, model.seconds(Op.LAUNCH, SubtaskFeatures.launches(3)), 1e-15);
    }

    @Test
    void prefillAttentionGrowsWithPairs() {
        double a = model.seconds(Op.PREFILL_ATTN, SubtaskFeatures.prefill(1024));
        double b = model.seconds(Op.PREFILL_ATTN, SubtaskFeatures.prefill(2048));
        assertTrue(b > 3 * a, a + " " + b);   // quadratic once compute-bound
        assertEquals(SubtaskFeatures.prefillPairs(0, 2048), 2048L * 2049 / 2);
        assertEquals(SubtaskFeatures.prefillPairs(100, 3), 3L * 100 + 6);
    }
}
