package org.apexbench.engine.real;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import org.apexbench.kernels.DType;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.cost.TableCostModel;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.profiler.table.Profile;
import org.apexbench.profiler.table.ProfileFingerprint;
import org.apexbench.profiler.table.ProfileSweep;
import org.apexbench.profiler.table.SweepGrid;

/** The cpu subtask timer drives ProfileSweep on the tiny fixture model; every table cell is a real, positive time. */
class CpuSubtaskTimerTest {
    @Test
    void sweepsAProfileOfTheRealModel() {
        try (TinyLlamaOnCpu m = TinyLlamaOnCpu.open();
             CpuSubtaskTimer timer = new CpuSubtaskTimer(m.model(), m.host(), 64, 8, 512, 1 << 16, DType.F32)) {
            for (Op op : Op.values()) {
                SubtaskFeatures f = switch (op) {
                    case PRE, POST, EMBED, LM_HEAD -> SubtaskFeatures.linear(8);
                    case PREFILL_ATTN -> SubtaskFeatures.prefill(48);
                    case GPU_DECODE_ATTN, CPU_DECODE_ATTN -> SubtaskFeatures.decode(4, 300);
                    case QKV_D2H, ATTN_OUT_H2D, SWAP_IN, SWAP_OUT -> SubtaskFeatures.copy(4096, 1);
                    case LAUNCH -> SubtaskFeatures.launches(1);
                };
                double s = timer.seconds(op, f);
                if (op == Op.LAUNCH) {
                    assertEquals(0, s, "the cpu backend launches nothing");
                } else {
                    assertTrue(s > 0 && s < 1, op + " took " + s + " s");
                }
            }
            SweepGrid grid = new SweepGrid(List.of(1, 8, 64), List.of(1, 8), List.of(16, 64), List.of(1, 8), List.of(16L, 512L),
                    List.of(1, 8), List.of(16L, 512L), List.of(1024L, 65536L), 1, 2);
            ProfileFingerprint fp = new ProfileFingerprint("test machine", "cpu", "n/a", "test cpu", 1, org.apexbench.model.ModelPresets.geometry("tiny-llama3"),
                    "f32", "f32", 16, "cpu");
            Profile p = ProfileSweep.sweep(timer, grid, fp, "CpuSubtaskTimer on tiny-llama3");
            TableCostModel t = new TableCostModel(p);
            assertTrue(t.seconds(Op.PRE, SubtaskFeatures.linear(32)) > 0);
            assertTrue(t.seconds(Op.CPU_DECODE_ATTN, SubtaskFeatures.decode(4, 200)) > 0);
            assertTrue(t.seconds(Op.PREFILL_ATTN, SubtaskFeatures.prefill(32)) > 0);
        }
    }

    @Test
    void featuresBeyondTheTimerLimitsAreRefused() {
        try (TinyLlamaOnCpu m = TinyLlamaOnCpu.open();
             CpuSubtaskTimer timer = new CpuSubtaskTimer(m.model(), m.host(), 16, 4, 64, 1024, DType.F32)) {
            var e = assertThrows(IllegalArgumentException.class, () -> timer.seconds(Op.PRE, SubtaskFeatures.linear(17)));
            assertTrue(e.getMessage().contains("17 rows outside 1..16"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> timer.seconds(Op.CPU_DECODE_ATTN, SubtaskFeatures.decode(5, 10)));
            assertTrue(e.getMessage().contains("5 decode rows"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> timer.seconds(Op.SWAP_IN, SubtaskFeatures.copy(2048, 1)));
            assertTrue(e.getMessage().contains("2048 bytes"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new CpuSubtaskTimer(m.model(), m.host(), 4, 8, 64, 1024, DType.F32));
        }
    }
}
