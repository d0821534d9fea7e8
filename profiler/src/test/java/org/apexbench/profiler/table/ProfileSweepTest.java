package org.apexbench.profiler.table;

import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.cost.RooflineCostModel;
import org.apexbench.profiler.cost.TableCostModel;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.profiler.model.ModelGeometry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProfileSweepTest {
    private static final ModelGeometry MODEL = org.apexbench.profiler.TestModels.LLAMA_2_7B;
    private static final RooflineCostModel SIM = new RooflineCostModel(HardwareSpecs.builtIn("t4-g4dn.4xlarge"), MODEL);
    private static final ProfileFingerprint FP = new ProfileFingerprint("t4-g4dn.4xlarge", "sim:NVIDIA T4", "n/a",
            "Intel Xeon Platinum 8259CL", 8, MODEL, "f16", "f16", 16, "sim");
    private static final SweepGrid GRID = SweepGrid.defaults(2048, 64, 3000, 200_000, 4096, 2L << 30);
    private static final Profile PROFILE = ProfileSweep.sweep(SIM, GRID, FP, SIM.describe());

    @Test
    void tableModelReproducesTheTimerOnGridPoints() {
        TableCostModel table = new TableCostModel(PROFILE);
        for (int w : GRID.widths()) {
            assertEquals(SIM.seconds(Op.POST, SubtaskFeatures.linear(w)), table.seconds(Op.POST, SubtaskFeatures.linear(w)), 1e-15);
        }
        for (int r : GRID.cpuDecodeRequests()) {
            for (long c : GRID.cpuDecodeContexts()) {
                SubtaskFeatures f = SubtaskFeatures.decode(r, Math.max(c, r));
                assertEquals(SIM.seconds(Op.CPU_DECODE_ATTN, f), table.seconds(Op.CPU_DECODE_ATTN, f), 1e-15);
            }
        }
        for (int len : GRID.prefillLengths()) {
            SubtaskFeatures f = SubtaskFeatures.prefill(len);
            assertEquals(SIM.seconds(Op.PREFILL_ATTN, f), table.seconds(Op.PREFILL_ATTN, f), 1e-15);
        }
        assertEquals(SIM.seconds(Op.LAUNCH, SubtaskFeatures.launches(7)), table.seconds(Op.LAUNCH, SubtaskFeatures.launches(7)), 1e-15);
        SubtaskFeatures swap = SubtaskFeatures.copy(GRID.copyBytes().get(5) * 3, 3);
        assertEquals(SIM.seconds(Op.SWAP_OUT, swap), table.seconds(Op.SWAP_OUT, swap), 1e-15);
    }

    @Test
    void heldOutErrorIsSmall() {
        TableCostModel table = new TableCostModel(PROFILE);
        for (Op op : List.of(Op.PRE, Op.POST, Op.LM_HEAD, Op.PREFILL_ATTN, Op.GPU_DECODE_ATTN, Op.CPU_DECODE_ATTN, Op.SWAP_IN)) {
            double mape = ProfileValidation.mape(SIM, table, op, ProfileValidation.heldOut(op, GRID));
            assertTrue(mape < 3, op + " held-out MAPE " + mape + "%");
        }
    }

    @Test
    void mapeMeasuresRelativeError() {
        List<SubtaskFeatures> pts = List.of(SubtaskFeatures.linear(1), SubtaskFeatures.linear(2));
        double m = ProfileValidation.mape((op, f) -> 1.0, (op, f) -> f.rows() == 1 ? 1.1 : 0.8, Op.PRE, pts);
        assertEquals(15, m, 1e-9);
        assertThrows(IllegalArgumentException.class, () -> ProfileValidation.mape((op, f) -> 0, (op, f) -> 1, Op.PRE, pts));
    }

    @Test
    void sweepKeepsTheMedianOfRepeats() {
        double[] seq = {9, 5, 1, 3};   // warm-up 9 discarded; median of 5, 1, 3 = 3
        int[] i = {0};
        SweepGrid g = new SweepGrid(List.of(1, 2), List.of(1, 2), List.of(16, 32), List.of(1, 2), List.of(16L, 32L),
                List.of(1, 2), List.of(16L, 32L), List.of(1024L, 2048L), 1, 3);
        assertEquals(3, ProfileSweep.measure((op, f) -> seq[i[0]++ % 4], Op.PRE, SubtaskFeatures.linear(1), g));
    }

    @Test
    void jsonRoundTripKeepsEveryTable(@TempDir Path dir) {
        Path f = dir.resolve("profile.json");
        PROFILE.save(f);
        Profile back = Profile.load(f, FP);
        assertEquals(PROFILE, back);
        TableCostModel a = new TableCostModel(PROFILE);
        TableCostModel b = new TableCostModel(back);
        SubtaskFeatures q = SubtaskFeatures.decode(3, 1234);
        assertEquals(a.seconds(Op.GPU_DECODE_ATTN, q), b.seconds(Op.GPU_DECODE_ATTN, q));
    }

    @Test
    void profileForAnotherSetupIsRefusedListingTheDifferences(@TempDir Path dir) {
        Path f = dir.resolve("profile.json");
        PROFILE.save(f);
        ProfileFingerprint other = new ProfileFingerprint("a10g-g5.4xlarge", "sim:NVIDIA A10G", "n/a", "AMD EPYC 7R32", 8,
                MODEL, "f16", "f16", 16, "sim");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Profile.load(f, other));
        String msg = e.getMessage();
        assertTrue(msg.contains("hardware: 't4-g4dn.4xlarge' (profile) vs 'a10g-g5.4xlarge' (expected)"), msg);
        assertTrue(msg.contains("gpu:") && msg.contains("cpuModel:"), msg);
        assertTrue(!msg.contains("threads:") && !msg.contains("blockSize:"), msg);
        ProfileFingerprint otherModel = new ProfileFingerprint("t4-g4dn.4xlarge", "sim:NVIDIA T4", "n/a",
                "Intel Xeon Platinum 8259CL", 8, org.apexbench.profiler.TestModels.LLAMA_3_1_8B, "f16", "f16", 16, "sim");
        e = assertThrows(IllegalArgumentException.class, () -> Profile.load(f, otherModel));
        assertTrue(e.getMessage().contains("model:"), e.getMessage());
    }

    @Test
    void simFingerprintNamesTheSpecAndModel() {
        ProfileFingerprint fp = ProfileFingerprint.forSim(HardwareSpecs.builtIn("t4-g4dn.4xlarge"), MODEL, 16);
        assertEquals("t4-g4dn.4xlarge", fp.hardware());
        assertEquals("sim:NVIDIA T4", fp.gpu());
        assertEquals(8, fp.threads());
        assertEquals("sim", fp.backend());
        assertTrue(fp.differences(ProfileFingerprint.forSim(HardwareSpecs.builtIn("t4-g4dn.4xlarge"), MODEL, 32)).getFirst()
                .startsWith("blockSize:"));
    }

    @Test
    void profileMissingATableIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Profile(FP, java.util.Map.of(), 0, "x"));
        assertTrue(e.getMessage().contains("'pre'"), e.getMessage());
    }

    @Test
    void corruptProfileFileNamesTheFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("broken.json");
        java.nio.file.Files.writeString(f, PROFILE.toJson().replace("\"launchSecPerKernel\"", "\"launchSecPerKernelX\""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Profile.load(f));
        assertTrue(e.getMessage().contains("broken.json"), e.getMessage());
    }
}
