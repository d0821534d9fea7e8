package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.apexbench.engine.EngineOptions;
import org.apexbench.workloads.RequestSpec;

/**
 * The check gpu-check.sh runs on cuda, run here on cpu (fp32: no near-ties allowed) for one hybrid engine, and its
 * teacher forcing shown on cpu with a reference that diverges where we choose: a divergence the check tolerates
 * does not end the comparison, every later position is still compared, and a real mismatch after it fails.
 */
class RealEngineCheckTest {
    private static RealEngineCheck check;

    @BeforeAll
    static void reference() {
        RealEngineRuns.assumeOnClassPath("apex");
        check = new RealEngineCheck("cpu", RealEngineRuns.tinyLlama3());
    }

    @AfterAll
    static void close() {
        if (check != null) check.close();
    }

    private static int totalOutputs() { return check.requests().stream().mapToInt(RequestSpec::outputTokens).sum(); }

    @Test
    void apexOnTheCpuBackendPassesTheCheck() {
        RealEngineCheck.Outcome o = check.check("apex", EngineOptions.NONE);
        assertNull(o.failure(), o.toString());
        assertEquals(check.requests().size(), o.exact(), "on cpu every request is bit-equal: " + o);
        assertEquals(totalOutputs(), o.positions(), "every position compared: " + o);
        assertEquals("cpu", o.run().result().executor());
    }

    /** Request r0 of a reference whose model picked its second choice at {@code step}, then went on greedily. */
    private record Detour(Map<String, int[]> reference, int step, double gap) {}

    private static Detour detour() {
        RequestSpec r0 = check.requests().getFirst();
        int[] own = check.reference().get("r0");
        int step = own.length / 3;
        float[] logits = check.referenceLogits(r0, Arrays.copyOf(own, step));
        int best = argmax(logits), second = best == 0 ? 1 : 0;
        for (int v = 0; v < logits.length; v++) if (v != best && logits[v] > logits[second]) second = v;
        int plausible = second;
        int[] other = check.run("gpu-only", EngineOptions.NONE, RealEngineCheck.ROOMY,
                (id, s, produced) -> id.equals("r0") && s == step ? plausible : produced, null).tokens().get("r0");
        assertEquals(plausible, other[step]);
        assertFalse(Arrays.equals(Arrays.copyOfRange(own, step + 1, own.length), Arrays.copyOfRange(other, step + 1, other.length)),
                "the detour changes what follows it, so the positions after it are worth comparing");
        Map<String, int[]> reference = new HashMap<>(check.reference());
        reference.put("r0", other);
        return new Detour(reference, step, logits[best] - logits[plausible]);
    }

    private static int argmax(float[] row) {
        int best = 0;
        for (int v = 1; v < row.length; v++) if (row[v] > row[best]) best = v;
        return best;
    }

    @Test
    void aToleratedDivergenceIsForcedAndEveryLaterPositionIsStillCompared() {
        Detour d = detour();
        RealEngineCheck.Outcome o = check.check("apex", EngineOptions.NONE, d.reference(), d.gap() * 1.01);
        assertNull(o.failure(), o.toString());
        assertEquals(1, o.nearTies().size(), o.toString());
        assertTrue(o.nearTies().getFirst().startsWith("r0 step " + d.step() + " "), o.toString());
        assertEquals(totalOutputs(), o.positions(), "every position of every request compared: " + o);
        assertEquals(check.requests().size() - 1, o.exact(), o.toString());
        // the run committed the reference's tokens, the detour included
        assertTrue(Arrays.equals(d.reference().get("r0"), o.run().tokens().get("r0")), o.toString());
    }

    @Test
    void aMismatchAfterAToleratedDivergenceIsCaught() {
        Detour d = detour();
        int[] r0 = d.reference().get("r0").clone();
        int late = r0.length - 1;
        float[] logits = check.referenceLogits(check.requests().getFirst(), Arrays.copyOf(r0, late));
        int worst = 0;
        for (int v = 1; v < logits.length; v++) if (logits[v] < logits[worst]) worst = v;
        r0[late] = worst;  // a token the model would never pick here: what corrupted KV looks like
        Map<String, int[]> reference = new HashMap<>(d.reference());
        reference.put("r0", r0);
        RealEngineCheck.Outcome o = check.check("apex", EngineOptions.NONE, reference, d.gap() * 1.01);
        assertNotNull(o.failure(), o.toString());
        assertTrue(o.failure().startsWith("r0 diverges at step " + late + ":"), o.toString());
        assertTrue(o.nearTies().getFirst().startsWith("r0 step " + d.step() + " "), "the earlier detour stays tolerated: " + o);
    }

    @Test
    void onCpuNoDivergenceIsANearTie() {
        Detour d = detour();
        RealEngineCheck.Outcome o = check.check("apex", EngineOptions.NONE, d.reference(), check.nearTie());
        assertNotNull(o.failure(), o.toString());
        assertTrue(o.failure().startsWith("r0 diverges at step " + d.step() + ":"), o.toString());
        assertEquals(List.of(), o.nearTies());
    }
}
