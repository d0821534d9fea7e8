package org.apexbench.profiler.fidelity;

import org.apexbench.profiler.hardware.HardwareSpec;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CI gate of the cost model's fidelity: every held-out comparison within its target, and the Java model giving
 * the numbers the fit script printed for the same points (so the Java evaluation is the fitted model).
 */
class FidelityTest {
    private static final List<Fidelity.Comparison> ALL = Fidelity.all();

    @Test
    void everyHeldOutComparisonMeetsItsTarget() {
        StringBuilder above = new StringBuilder();
        for (Fidelity.Comparison c : ALL) {
            assertTrue(c.points().size() >= 40, c.id() + " has only " + c.points().size() + " points");
            if (!c.meetsTarget()) above.append('\n').append(Fidelity.describe(c));
        }
        assertTrue(above.isEmpty(), "held-out MAPE above target:" + above);
    }

    @Test
    void theJavaModelReproducesTheFitScriptsHeldOutNumbers() {
        // scripts/fidelity/fit_output.txt: points held out and MAPE of each comparison
        Map<String, double[]> expected = new LinkedHashMap<>();
        expected.put("pre-a100-llama2-7b", new double[] {86, 6.5});
        expected.put("post-a100-llama2-7b", new double[] {86, 4.2});
        expected.put("pre-a100-llama3-8b", new double[] {451, 8.8});
        expected.put("post-a100-llama3-8b", new double[] {451, 4.2});
        expected.put("pre-h100-llama2-7b", new double[] {86, 5.4});
        expected.put("post-h100-llama2-7b", new double[] {86, 4.9});
        expected.put("pre-a40-llama2-7b", new double[] {86, 4.3});
        expected.put("post-a40-llama2-7b", new double[] {86, 3.4});
        expected.put("decode-a100-llama2-7b", new double[] {179, 5.4});
        expected.put("decode-a100-llama3-8b", new double[] {75, 6.7});
        expected.put("decode-a40-llama2-7b", new double[] {131, 7.6});
        expected.put("prefill-a100-llama2-7b", new double[] {135, 7.4});
        expected.put("prefill-a100-llama3-8b", new double[] {43, 8.6});
        expected.put("prefill-a40-llama2-7b", new double[] {122, 3.0});
        assertEquals(List.copyOf(expected.keySet()), ALL.stream().map(Fidelity.Comparison::id).toList());
        for (Fidelity.Comparison c : ALL) {
            double[] e = expected.get(c.id());
            assertEquals((int) e[0], c.points().size(), c.id());
            assertEquals(e[1], c.mapePct(), 0.06, c.id());
        }
    }

    @Test
    void builtInSpecsCarryTheFittedParametersTheyCite() {
        FittedParameters fits = FittedParameters.load();
        String fa100 = "a100/Llama-2-7b-hf/FLASH_ATTENTION", fi100 = "a100/Meta-Llama-3-8B/FLASHINFER", fa40 = "a40/Llama-2-7b-hf/FLASH_ATTENTION";
        for (String device : List.of("a100", "h100", "a40")) {
            HardwareSpec.Gpu g = HardwareSpecs.builtIn(Fidelity.SPECS.get(device)).gpu();
            assertTrue(Fidelity.close(g.gemm(), fits.gemm(device)), device + " gemm " + g.gemm());
            assertTrue(Fidelity.close(g.elementwise(), fits.elementwise(device)), device + " elementwise " + g.elementwise());
        }
        HardwareSpec.Gpu a100 = HardwareSpecs.builtIn("a100-80gb-sxm").gpu();
        assertTrue(Fidelity.close(a100.decodeAttention(), fits.decode(fa100)));
        assertTrue(Fidelity.close(a100.prefillAttention(), fits.prefill(fi100)));
        HardwareSpec.Gpu a40 = HardwareSpecs.builtIn("a40").gpu();
        assertTrue(Fidelity.close(a40.decodeAttention(), fits.decode(fa40)));
        assertTrue(Fidelity.close(a40.prefillAttention(), fits.prefill(fa40)));
        // T4, A10G and L4: the A40's fits with their own datasheet peaks (docs/fidelity.md); the A10G and L4 prefill is
        // the FlashInfer fit's shape with the A40's fixed cost, the T4's the A40 FLASH_ATTENTION fit
        for (String id : List.of("t4-g4dn.4xlarge", "a10g-g5.2xlarge", "a10g-g5.4xlarge", "a10g-g5.8xlarge", "a10g-g5.16xlarge",
                "l4-g6.4xlarge")) {
            HardwareSpec.Gpu g = HardwareSpecs.builtIn(id).gpu();
            assertTrue(Fidelity.close(g.gemm(), fits.gemm("a40")), id);
            assertTrue(Fidelity.close(g.elementwise(), fits.elementwise("a40")), id);
            assertTrue(Fidelity.close(g.decodeAttention(), fits.decode(fa40)), id);
            HardwareSpec.PrefillAttention fi = fits.prefill(fi100);
            HardwareSpec.PrefillAttention expected = id.startsWith("t4") ? fits.prefill(fa40)
                    : new HardwareSpec.PrefillAttention(fits.prefill(fa40).fixedUs(), fi.prefixEfficiency(), fi.prefixHalfTokens(),
                    fi.causalEfficiency(), fi.causalHalfTokens());
            assertTrue(Fidelity.close(g.prefillAttention(), expected), id + " " + g.prefillAttention());
        }
    }

    @Test
    void aModelWithoutTheFittedFormsMissesTheTargets() {
        // The gate can fail: the same points against the pre-issue-13 single roofline of a100 (72% / 75% of the
        // peaks, 4 and 6 kernels x 5 us) give PRE 15.1% on Llama-2-7B held out (scripts/fidelity/fit_output.txt).
        Fidelity.Comparison pre = ALL.getFirst();
        double mape = pre.points().stream().mapToDouble(p -> {
            double n = p.x();
            double flops = 2.0 * n * 4096 * (4096 * 3);
            double bytes = (4096.0 * 4096 * 3 + 4096) * 2 + n * (3.0 * 4096 * 2 + 3.0 * 4096 * 3 * 2 + 2 * 4096 * 2);
            double old = Math.max(flops / (312e12 * 0.72), bytes / (2039e9 * 0.75)) + 4 * 5e-6;
            return 100 * Math.abs(old - p.measuredSec()) / p.measuredSec();
        }).average().orElseThrow();
        assertEquals(15.1, mape, 0.1);
        assertTrue(mape > Fidelity.PRE_POST_TARGET_PCT);
    }
}
