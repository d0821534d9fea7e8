package org.apexbench.engine.real;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import org.apexbench.kernels.DType;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;

/**
 * The bridge-driven timer that cuda profiles use, run here through the cpu host bridge (wall-clock marks):
 * every op is measured on the right pools and buffers (host rows for CPU attention, chunked pool copies), and
 * limits are refused as CpuSubtaskTimer refuses them. On a GPU the same code times with CUDA events.
 */
class DeviceSubtaskTimerTest {
    @Test
    void timesEverySubtaskThroughTheBridge() {
        try (TinyLlamaOnCpu m = TinyLlamaOnCpu.open();
             DeviceSubtaskTimer timer = new DeviceSubtaskTimer(m.model(), m.host(), 64, 8, 512, 64L << 20, DType.F16)) {
            for (Op op : Op.values()) {
                SubtaskFeatures f = switch (op) {
                    case PRE, POST, EMBED, LM_HEAD -> SubtaskFeatures.linear(8);
                    case PREFILL_ATTN -> SubtaskFeatures.prefill(48);
                    case GPU_DECODE_ATTN, CPU_DECODE_ATTN -> SubtaskFeatures.decode(4, 300);
                    // more than one pool buffer holds: the copy runs in chunks
                    case QKV_D2H, ATTN_OUT_H2D, SWAP_IN, SWAP_OUT -> SubtaskFeatures.copy(64L << 20, 1);
                    case LAUNCH -> SubtaskFeatures.launches(1);
                };
                double s = timer.seconds(op, f);
                assertTrue(s > 0 && s < 5, op + " took " + s + " s");
            }
        }
    }

    @Test
    void featuresBeyondTheTimerLimitsAreRefused() {
        try (TinyLlamaOnCpu m = TinyLlamaOnCpu.open();
             DeviceSubtaskTimer timer = new DeviceSubtaskTimer(m.model(), m.host(), 16, 4, 64, 1024, DType.F16)) {
            var e = assertThrows(IllegalArgumentException.class, () -> timer.seconds(Op.PRE, SubtaskFeatures.linear(17)));
            assertTrue(e.getMessage().contains("17 rows outside 1..16"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> timer.seconds(Op.CPU_DECODE_ATTN, SubtaskFeatures.decode(5, 10)));
            assertTrue(e.getMessage().contains("outside 1..4 rows"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> timer.seconds(Op.SWAP_IN, SubtaskFeatures.copy(2048, 1)));
            assertTrue(e.getMessage().contains("exceeds the timer's 1024"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new DeviceSubtaskTimer(m.model(), m.host(), 4, 8, 64, 1024, DType.F16));
            assertTrue(e.getMessage().contains("maxSequences <= maxTokens"), e.getMessage());
        }
    }
}
