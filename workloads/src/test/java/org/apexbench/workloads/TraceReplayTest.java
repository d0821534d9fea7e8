package org.apexbench.workloads;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TraceReplayTest {
    // first rows of splitwise_conv.csv: (0.0, 374, 44), (4.314579, 396, 109)
    @Test
    void replaysTimestampsScaledFromTheFirstKeptRow() {
        WorkloadContext ctx = new WorkloadContext(32000, 131072, null);
        Workload w = WorkloadSpec.parse("trace:splitwise_conv,scale=0.5,limit=1000").generate(ctx);
        List<RequestSpec> r = w.requests();
        assertEquals(1000, r.size());
        assertEquals(0, r.get(0).arrivalSec());
        assertEquals(374, r.get(0).promptLength());
        assertEquals(44, r.get(0).outputTokens());
        assertEquals(4.314579 * 0.5, r.get(1).arrivalSec(), 1e-12);
        assertEquals(396, r.get(1).promptLength());
        assertTrue(w.description().contains("splitwise_conv") && w.description().contains("x 0.5"), w.description());
        Workload unscaled = WorkloadSpec.parse("trace:splitwise_conv,limit=1000").generate(ctx);
        assertEquals(2 * r.get(999).arrivalSec(), unscaled.requests().get(999).arrivalSec(), 1e-9);
    }

    @Test
    void filtersByWindowAndLengths() {
        WorkloadContext ctx = new WorkloadContext(32000, 131072, null);
        List<RequestSpec> r = WorkloadSpec.parse("trace:splitwise_conv,start=100,end=200,max-input=2000,min-output=10")
                .generate(ctx).requests();
        assertTrue(r.size() > 100, "rows in a 100 s window at ~5.5 req/s: " + r.size());
        for (RequestSpec q : r) {
            assertTrue(q.arrivalSec() >= 0 && q.arrivalSec() < 100, "re-based into the window: " + q);
            assertTrue(q.promptLength() <= 2000 && q.outputTokens() >= 10, q.toString());
        }
    }

    @Test
    void contextDropsLongPromptsAndCapsOutputs() {
        WorkloadContext ctx = new WorkloadContext(32000, 4096, null);
        Workload w = WorkloadSpec.parse("trace:splitwise_conv").generate(ctx);
        assertTrue(w.requests().stream().allMatch(q -> q.promptLength() + q.outputTokens() <= 4096));
        assertTrue(w.description().contains("whose prompt exceeds the context"), w.description());
        assertTrue(w.requests().size() > 18_000 && w.requests().size() < 19_366, "kept " + w.requests().size());
    }

    @Test
    void arxivHasNoTimestampsSoNeedsAnArrivalProcess() {
        WorkloadContext ctx = new WorkloadContext(32000, 4096, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WorkloadSpec.parse("trace:arxiv,limit=10").generate(ctx));
        assertTrue(e.getMessage().contains("no timestamps") && e.getMessage().contains("rate="), e.getMessage());
        List<RequestSpec> r = WorkloadSpec.parse("trace:arxiv,rate=1.5,limit=300,seed=2").generate(ctx).requests();
        assertEquals(300, r.size());
        assertEquals(3772, r.get(0).promptLength());
        assertEquals(300 / 1.5, r.get(299).arrivalSec(), 300 / 1.5 * 0.2);
        assertThrows(IllegalArgumentException.class, () -> WorkloadSpec.parse("trace:arxiv,start=5,rate=1").generate(ctx));
    }

    @Test
    void missingTracesFolderAndUnknownTraceAreClearErrors(@TempDir Path dir) {
        WorkloadContext gone = new WorkloadContext(32000, 4096, dir.resolve("nosuch"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WorkloadSpec.parse("chat:count=3").generate(gone));
        assertTrue(e.getMessage().contains("nosuch") && e.getMessage().contains("does not exist"), e.getMessage());
        WorkloadContext none = new WorkloadContext(32000, 4096, null);
        e = assertThrows(IllegalArgumentException.class, () -> WorkloadSpec.parse("trace:nosuch").generate(none));
        assertTrue(e.getMessage().contains("unknown trace 'nosuch'") && e.getMessage().contains("splitwise_code"), e.getMessage());
    }

    @Test
    void aTracesFolderReplacesThePackagedTraces(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("splitwise_code.csv"), "arrived_at,num_prefill_tokens,num_decode_tokens\n0.0,11,7\n0.5,13,9\n");
        List<RequestSpec> r = WorkloadSpec.parse("trace:splitwise_code").generate(new WorkloadContext(32000, 4096, dir)).requests();
        assertEquals(List.of(11, 13), r.stream().map(RequestSpec::promptLength).toList());
        List<RequestSpec> packaged = WorkloadSpec.parse("trace:splitwise_code,limit=2").generate(new WorkloadContext(32000, 8192, null)).requests();
        assertEquals(4808, packaged.get(0).promptLength(), "the packaged Azure code trace starts with a 4808-token prompt");
    }

    @Test
    void userTraceFileWithABadRowNamesFileLineAndColumn(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("mine.csv");
        Files.writeString(f, "arrived_at,num_prefill_tokens,num_decode_tokens\n0.0,10,5\n1.0,ten,5\n");
        WorkloadContext ctx = new WorkloadContext(32000, 4096, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WorkloadSpec.parse("trace:" + f).generate(ctx));
        assertTrue(e.getMessage().contains("mine.csv:3") && e.getMessage().contains("num_prefill_tokens"), e.getMessage());
        Files.writeString(f, "arrived_at,num_decode_tokens\n0.0,5\n");
        e = assertThrows(IllegalArgumentException.class, () -> Trace.load(f, "mine"));
        assertTrue(e.getMessage().contains("missing column 'num_prefill_tokens'"), e.getMessage());
    }
}
