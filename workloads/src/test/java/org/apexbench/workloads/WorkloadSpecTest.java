package org.apexbench.workloads;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkloadSpecTest {
    private static final WorkloadContext CTX = new WorkloadContext(32000, 4096, null);

    @Test
    void parsesTheDocumentedExamples() {
        WorkloadSpec a = WorkloadSpec.parse("long-output:count=200,rate=2,seed=7");
        assertInstanceOf(LengthDistribution.LongOutput.class, a.lengths());
        assertEquals(new ArrivalProcess.Poisson(2), a.arrivals());
        assertEquals(200, a.count());
        assertEquals(7, a.seed());

        WorkloadSpec m = WorkloadSpec.parse("mixed:chat=0.5,cot=0.3,long-output=0.2;count=500,rate=4,cv=2");
        LengthDistribution.Mixed mixed = assertInstanceOf(LengthDistribution.Mixed.class, m.lengths());
        assertEquals(List.of("chat", "cot", "long-output"), mixed.components().stream().map(c -> c.distribution().name()).toList());
        assertEquals(0.3, mixed.components().get(1).weight());
        assertEquals(new ArrivalProcess.Gamma(4, 2), m.arrivals());
        assertEquals(500, m.count());

        WorkloadSpec s = WorkloadSpec.parse("synthetic:count=64,input=1000,output=200");
        assertEquals(new LengthDistribution.Fixed(1000, 200), s.lengths());
        assertEquals(new ArrivalProcess.AllAtOnce(), s.arrivals());

        WorkloadSpec t = WorkloadSpec.parse("trace:splitwise_conv,scale=0.5,limit=1000");
        assertNull(t.lengths());
        assertEquals("splitwise_conv", t.replay().trace());
        assertEquals(0.5, t.replay().scale());
        assertEquals(1000, t.replay().limit());
        assertNull(t.arrivals());   // trace timestamps

        WorkloadSpec c = WorkloadSpec.parse(" cot : cap=2048 ; concurrency=16, temperature=0.7, top_p=0.9 ");
        assertEquals(new LengthDistribution.Cot(2048), c.lengths());
        assertEquals(16, c.closedLoopConcurrency());
        assertEquals(0.7f, c.temperature());
        assertEquals(DEFAULT_COUNT(), c.count());
        assertEquals(new ArrivalProcess.Uniform(3), WorkloadSpec.parse("sharegpt:rate=3,arrival=uniform").arrivals());
    }

    private static int DEFAULT_COUNT() { return WorkloadSpec.DEFAULT_COUNT; }

    @Test
    void badSpecsSayWhatIsWrong() {
        assertMessage("chitchat:count=3", "unknown kind 'chitchat'", "long-output");
        assertMessage("long-output:count=3,input=5", "option 'input' does not apply to long-output", "allowed:");
        assertMessage("sharegpt:cv=2", "option 'rate' is required");
        assertMessage("sharegpt:rate=fast", "option 'rate' must be a number, got 'fast'");
        assertMessage("sharegpt:count=1.5", "option 'count' must be an integer");
        assertMessage("synthetic:count=3,input=5", "option 'output' is required");
        assertMessage("mixed:chat=0.5,banter=0.5", "unknown length mix 'banter'");
        assertMessage("mixed:chat", "name=weight");
        assertMessage("mixed:chat=-1", "weight of chat must be > 0");
        assertMessage("trace:scale=2", "exactly one trace name");
        assertMessage("sharegpt:rate=2,rate=3", "given twice");
        assertMessage("sharegpt:rate=2,,count=3", "empty argument");
        assertMessage("sharegpt:arrival=sometimes", "arrival must be poisson");
        assertMessage("sharegpt:rate=0", "arrival rate must be a finite number > 0");
        assertMessage("sharegpt:concurrency=0", "concurrency must be >= 1");
        assertMessage("sharegpt:count=0", "count must be >= 1");
        assertMessage("sharegpt:top_p=0", "top_p in (0, 1]");
        assertMessage("sharegpt:arrival=trace", "arrival=trace needs a trace workload");
        assertMessage("long-output:hello", "expected key=value, got 'hello'");
    }

    private static void assertMessage(String spec, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WorkloadSpec.parse(spec));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), spec + " -> " + e.getMessage());
        }
    }

    @Test
    void sameSpecGivesIdenticalRequests() {
        String spec = "mixed:sharegpt=0.6,cot=0.2,long-output=0.2;count=300,rate=5,seed=11,temperature=0.8";
        assertEquals(WorkloadSpec.parse(spec).generate(CTX).requests(), WorkloadSpec.parse(spec).generate(CTX).requests());
        assertNotEquals(WorkloadSpec.parse(spec).generate(CTX).requests(),
                WorkloadSpec.parse(spec.replace("seed=11", "seed=12")).generate(CTX).requests());
    }

    @Test
    void changingTheArrivalProcessKeepsLengthsPromptsAndSamplingSeeds() {
        List<RequestSpec> a = WorkloadSpec.parse("sharegpt:count=200,rate=2,seed=5").generate(CTX).requests();
        List<RequestSpec> b = WorkloadSpec.parse("sharegpt:count=200,rate=9,cv=3,seed=5").generate(CTX).requests();
        List<RequestSpec> c = WorkloadSpec.parse("sharegpt:count=200,seed=5").generate(CTX).requests();
        for (List<RequestSpec> other : List.of(b, c)) {
            for (int i = 0; i < a.size(); i++) {
                RequestSpec x = byId(a, "r" + i);
                RequestSpec y = byId(other, "r" + i);
                assertEquals(x.outputTokens(), y.outputTokens());
                assertTrue(java.util.Arrays.equals(x.promptTokens(), y.promptTokens()));
                assertEquals(x.sampling(), y.sampling());
            }
        }
        assertNotEquals(a.get(10).arrivalSec(), b.get(10).arrivalSec());
        // and the first requests of a longer run are those of a shorter one
        List<RequestSpec> longer = WorkloadSpec.parse("sharegpt:count=300,rate=2,seed=5").generate(CTX).requests();
        assertEquals(a, longer.subList(0, 200));
    }

    private static RequestSpec byId(List<RequestSpec> l, String id) {
        return l.stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow();
    }

    @Test
    void promptIdsStayInsideTheVocabulary() {
        WorkloadContext tiny = new WorkloadContext(512, 512, null);
        for (RequestSpec r : WorkloadSpec.parse("sharegpt:count=200,seed=1").generate(tiny).requests()) {
            for (int t : r.promptTokens()) {
                assertTrue(t >= 0 && t < 512);
            }
            assertTrue(r.promptLength() + r.outputTokens() <= 512, r.toString());
        }
    }

    @Test
    void requestsComeSortedByArrival() {
        List<RequestSpec> l = WorkloadSpec.parse("cot:count=300,rate=20,cv=4,seed=3").generate(CTX).requests();
        for (int i = 1; i < l.size(); i++) {
            assertTrue(l.get(i).arrivalSec() >= l.get(i - 1).arrivalSec());
        }
    }

    @Test
    void syntheticThatDoesNotFitTheContextIsAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WorkloadSpec.parse("synthetic:count=2,input=4000,output=200").generate(CTX));
        assertTrue(e.getMessage().contains("exceeds the model context (4096)"), e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> WorkloadSpec.parse("long-output:count=2").generate(new WorkloadContext(512, 512, null)));
        assertTrue(e2.getMessage().contains("does not suit this model"), e2.getMessage());
    }
}
