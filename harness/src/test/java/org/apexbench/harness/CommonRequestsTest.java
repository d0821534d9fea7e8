package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;
import org.junit.jupiter.api.Test;

/** The requests a capacity cell compares its engines on: which are kept, with whose arrivals, and when there are too few. */
class CommonRequestsTest {
    /** Request i: prompt 10 + (i % 7) * 20 tokens, output 5 + (i % 5) * 15, arriving at i / rate. */
    private static List<RequestSpec> workload(int m, double rate, int rows) {
        List<RequestSpec> out = new ArrayList<>();
        for (int i = 0; i < Math.min(m, rows); i++) {
            out.add(new RequestSpec("r" + i, (i + 1) / rate, new int[10 + (i % 7) * 20], 5 + (i % 5) * 15, SamplingParams.GREEDY));
        }
        return out;
    }

    /** "short-prompts" rejects prompts over 100 tokens (i % 7 >= 5), "short-outputs" outputs over 40 (i % 5 >= 3). */
    private static Map<String, Function<RequestSpec, String>> engines() {
        Map<String, Function<RequestSpec, String>> m = new LinkedHashMap<>();
        m.put("short-prompts", r -> r.promptLength() > 100 ? "prompt too long" : null);
        m.put("short-outputs", r -> r.outputTokens() > 40 ? "output too long" : null);
        m.put("anything", r -> null);
        return m;
    }

    private static boolean servable(int i) { return i % 7 < 5 && i % 5 < 3; }

    @Test
    void keepsTheFirstRequestsEveryEngineCanServeWithTheWorkloadsOwnArrivals() {
        int n = 20;
        CommonRequests c = new CommonRequests("cell", n, engines(), m -> workload(m, 1.0, Integer.MAX_VALUE));
        // over the full workload (the first 20 drawn) each engine's own rejections
        int prompts = 0, outputs = 0;
        for (int i = 0; i < n; i++) {
            if (i % 7 >= 5) prompts++;
            if (i % 5 >= 3) outputs++;
        }
        assertEquals(prompts, c.rejected("short-prompts"));
        assertEquals(outputs, c.rejected("short-outputs"));
        assertEquals(0, c.rejected("anything"));
        int drawn = c.drawnFor(n, m -> workload(m, 1.0, Integer.MAX_VALUE));
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; kept.size() < n; i++) if (servable(i)) kept.add(i);
        assertEquals(kept.getLast() + 1, drawn);
        assertEquals(drawn - n, c.removed(n));
        // a probe at 4 req/s: the kept requests' lengths, the first n drawn requests' arrival times
        List<RequestSpec> atRate = workload(drawn, 4.0, Integer.MAX_VALUE);
        List<RequestSpec> run = c.select(n, atRate);
        assertEquals(n, run.size());
        for (int i = 0; i < n; i++) {
            RequestSpec want = atRate.get(kept.get(i));
            assertEquals(want.id(), run.get(i).id());
            assertEquals(want.promptLength(), run.get(i).promptLength());
            assertEquals(want.outputTokens(), run.get(i).outputTokens());
            assertEquals(atRate.get(i).arrivalSec(), run.get(i).arrivalSec(), "the i-th arrival of the workload at the probe's rate");
            for (Function<RequestSpec, String> why : engines().values()) assertEquals(null, why.apply(run.get(i)));
        }
    }

    @Test
    void whereEveryEngineServesEverythingARunIsTheWorkloadItself() {
        Map<String, Function<RequestSpec, String>> all = Map.of("a", r -> null, "b", r -> null);
        CommonRequests c = new CommonRequests("cell", 30, all, m -> workload(m, 1.0, Integer.MAX_VALUE));
        assertEquals(30, c.drawnFor(30, m -> workload(m, 2.5, Integer.MAX_VALUE)));
        assertEquals(0, c.removed(30));
        List<RequestSpec> w = workload(30, 2.5, Integer.MAX_VALUE);
        assertEquals(w, c.select(30, w));
        // a longer run (more requests at a higher rate) draws further, still without removing any
        assertEquals(90, c.drawnFor(90, m -> workload(m, 2.5, Integer.MAX_VALUE)));
        assertEquals(workload(90, 7.0, Integer.MAX_VALUE), c.select(90, workload(90, 7.0, Integer.MAX_VALUE)));
    }

    @Test
    void aWorkloadWithTooFewServableRequestsIsRefusedNamingTheCellAndTheEngines() {
        // a trace of 40 rows: 18 of them every engine can serve
        Function<Integer, List<RequestSpec>> trace = m -> workload(m, 1.0, 40);
        CommonRequests c = new CommonRequests("t4 + llama, workload tiny", 20, engines(), trace);
        assertEquals(22, c.drawnFor(10, trace));
        var e = assertThrows(IllegalArgumentException.class, () -> c.drawnFor(20, trace));
        assertTrue(e.getMessage().startsWith("t4 + llama, workload tiny: only 18 of the workload's first 40 requests can be served "
                + "by every engine (of its first 20, short-prompts rejects 5, short-outputs rejects 8, anything rejects 0), and a run "
                + "needs 20: lower --requests"), e.getMessage());
        // a synthetic workload that is mostly unservable stops drawing at 16 requests per request kept
        Map<String, Function<RequestSpec, String>> picky = Map.of("picky", r -> r.id().equals("r0") ? null : "no");
        CommonRequests p = new CommonRequests("cell", 2, picky, m -> workload(m, 1.0, Integer.MAX_VALUE));
        var tooFew = assertThrows(IllegalArgumentException.class, () -> p.drawnFor(2, m -> workload(m, 1.0, Integer.MAX_VALUE)));
        assertTrue(tooFew.getMessage().contains("only 1 of the workload's first 32 requests"), tooFew.getMessage());
        assertThrows(IllegalArgumentException.class, () -> c.rejected("vllm"));
    }
}
