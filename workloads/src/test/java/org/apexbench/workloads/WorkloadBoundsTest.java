package org.apexbench.workloads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 11: absurd or malformed workloads are refused up front, each naming the option or file:line and the limit. */
class WorkloadBoundsTest {
    static final WorkloadContext CTX = new WorkloadContext(32000, 4096, null);
    static final String HEADER = "arrived_at,num_prefill_tokens,num_decode_tokens\n";

    @TempDir Path dir;

    private static String refused(String spec) {
        return refused(spec, CTX);
    }

    private static String refused(String spec, WorkloadContext ctx) {
        WorkloadException e = assertThrows(WorkloadException.class, () -> WorkloadSpec.parse(spec).generate(ctx));
        return e.getMessage();
    }

    private Path file(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    /** count=1000000000 used to die with OutOfMemoryError and a stack trace. */
    @Test
    void absurdCountsAndTheMemoryTheyNeedAreRefusedBeforeAnyPromptIsBuilt() {
        String m = refused("synthetic:count=1000000000,input=20,output=5");
        assertTrue(m.contains("count=1000000000 is more than the 10000000 requests"), m);
        WorkloadContext small = new WorkloadContext(32000, 4096, null, 100_000_000L);
        m = refused("synthetic:count=20000,input=1000,output=1000", small);
        assertTrue(m.startsWith("workload 'synthetic:count=20000,input=1000,output=1000': 20000 requests with 20000000 prompt and "
                + "20000000 output tokens need about 0.4 GB") && m.contains("more than the 0.1 GB") && m.contains("-Xmx"), m);
        m = refused("synthetic:count=5000000,input=1000,output=1000", small);
        assertTrue(m.contains("5000000 requests with at least 5000000 prompt"), "refused before drawing 5M lengths: " + m);
        assertEquals(20, WorkloadSpec.parse("synthetic:count=20,input=1000,output=1000").generate(small).requests().size());
        m = refused("synthetic:count=2,input=2000000000,output=2000000000");
        assertTrue(m.contains("exceeds the model context (4096)"), "no int overflow: " + m);
    }

    /** rate=1e-300 and a trace time of 1e308 gave silently meaningless metrics. */
    @Test
    void arrivalsBeyondWhatTheClockResolvesAreRefused() throws Exception {
        String m = refused("synthetic:count=5,input=20,output=5,rate=1e-300");
        assertTrue(m.contains("rate=1e-300 req/s spreads 5 arrivals over about 5.00e+300 s") && m.contains("give rate >= 5.00e-07"), m);
        Path t = file("far.csv", HEADER + "0,20,5\n1e308,20,5\n");
        m = refused("trace:" + t);
        assertTrue(m.contains("the last of 2 arrivals is at 1.0E308 s by the trace's timestamps") && m.contains("1.0E7 s"), m);
        m = refused("trace:splitwise_conv,limit=10,scale=1e300");
        assertTrue(m.contains("scale=1.0E300"), m);
        Path f = file("far.jsonl", "{\"id\":\"a\",\"arrival_s\":1e12,\"prompt_len\":3,\"output_len\":2}\n");
        m = refused("file:" + f);
        assertTrue(m.contains("far.jsonl:1: arrival_s 1.0E12 is beyond the 1.0E7 s"), m);
    }

    @Test
    void nonFiniteAndNonIntegralOptionsAreRefused() {
        for (String spec : List.of("synthetic:count=2,input=3,output=2,seed=NaN", "synthetic:count=2,input=3,output=2,seed=1.5",
                "synthetic:count=2,input=3,output=2,rate=NaN", "synthetic:count=2,input=3,output=2,temperature=1e300",
                "synthetic:count=2,input=3,output=2,concurrency=2.5", "mixed:chat=Infinity;count=2", "trace:arxiv,rate=Infinity")) {
            String m = refused(spec);
            assertTrue(m.startsWith("workload '" + spec + "'"), m);
        }
        assertTrue(refused("synthetic:count=2,input=3,output=2,seed=NaN").contains("option 'seed' must be a whole number"));
        assertTrue(refused("synthetic:count=2,input=3,output=2,temperature=1e300").contains("temperature must be finite"));
    }

    /** A trace with a UTF-8 byte-order mark was said to have no timestamps. */
    @Test
    void aByteOrderMarkIsSkipped() throws Exception {
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        Path t = dir.resolve("bom.csv");
        Files.write(t, concat(bom, (HEADER + "0,20,5\n2,30,5\n").getBytes(StandardCharsets.UTF_8)));
        List<RequestSpec> r = WorkloadSpec.parse("trace:" + t).generate(CTX).requests();
        assertEquals(List.of(0.0, 2.0), r.stream().map(RequestSpec::arrivalSec).toList());
        Path csv = dir.resolve("w.csv");
        Files.write(csv, concat(bom, "id,arrival_s,prompt_len,output_len\na,0,3,2\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals(1, WorkloadFiles.read(csv, CTX, 0).size());
        Path jsonl = dir.resolve("w.jsonl");
        Files.write(jsonl, concat(bom, "{\"id\":\"a\",\"arrival_s\":0,\"prompt_len\":3,\"output_len\":2}\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals(1, WorkloadFiles.read(jsonl, CTX, 0).size());
    }

    /**
     * A reversed trace got a wrong diagnosis (a negative arrival) and one out-of-order row was silently re-sorted. Traces
     * are now refused unless sorted, as workload files always were, naming the line.
     */
    @Test
    void unsortedTracesAreRefusedLikeUnsortedWorkloadFiles() throws Exception {
        String m = refused("trace:" + file("rev.csv", HEADER + "3,20,5\n2,20,5\n1,20,5\n"));
        assertTrue(m.contains("rev.csv:3: arrived_at 2 is earlier than line 2's 3.0; a trace must be sorted by arrival time"), m);
        m = refused("trace:" + file("one.csv", HEADER + "0,20,5\n2,20,5\n1,20,5\n3,20,5\n"));
        assertTrue(m.contains("one.csv:4: arrived_at 1 is earlier than line 3's 2.0"), m);
        m = assertThrows(WorkloadException.class, () -> WorkloadFiles.read(file("rev.jsonl",
                "{\"id\":\"a\",\"arrival_s\":2,\"prompt_len\":3,\"output_len\":2}\n{\"id\":\"b\",\"arrival_s\":1,\"prompt_len\":3,\"output_len\":2}\n"),
                CTX, 0)).getMessage();
        assertTrue(m.contains("rev.jsonl:2: arrival_s 1.0 is earlier than the previous line's 2.0 (requests must be sorted by arrival)"), m);
    }

    /** A short trace row gave a raw CSV-library message. */
    @Test
    void shortRowsAndBrokenCsvNameFileAndLine() throws Exception {
        String m = refused("trace:" + file("short.csv", HEADER + "0,20,5\n2,20\n"));
        assertTrue(m.contains("short.csv:3: has 2 fields, the header has 3 (arrived_at,num_prefill_tokens,num_decode_tokens)"), m);
        m = refused("trace:" + file("frac.csv", HEADER + "0,20.5,5\n"));
        assertTrue(m.contains("frac.csv:2: column 'num_prefill_tokens' must be a whole number of tokens"), m);
        m = refused("trace:" + file("quote.csv", HEADER + "0,\"20,5\n"));
        assertTrue(m.contains("quote.csv:") && m.contains("cannot parse"), m);
        m = refused("trace:" + file("dup.csv", "arrived_at,arrived_at,num_prefill_tokens,num_decode_tokens\n0,0,1,1\n"));
        assertTrue(m.contains("dup.csv:1: cannot parse"), m);
        Path latin = dir.resolve("latin.csv");
        Files.write(latin, concat(HEADER.getBytes(StandardCharsets.UTF_8), new byte[] {'0', ',', (byte) 0xE9, ',', '1', '\n'}));
        m = refused("trace:" + latin);
        assertTrue(m.contains("latin.csv: not UTF-8 text"), m);
        Path w = file("short-w.csv", "id,arrival_s,prompt_len,output_len\na,0,3\n");
        m = assertThrows(WorkloadException.class, () -> WorkloadFiles.read(w, CTX, 0)).getMessage();
        assertTrue(m.contains("short-w.csv:2: has 3 fields, the header has 4"), m);
    }

    /** A workload file row with an enormous prompt_len is refused on its context, not after allocating its prompt. */
    @Test
    void promptLengthsAreCheckedBeforeTheirIdsAreDrawn() throws Exception {
        Path f = file("big.jsonl", "{\"id\":\"a\",\"arrival_s\":0,\"prompt_len\":2000000000,\"output_len\":2000000000}\n");
        String m = assertThrows(WorkloadException.class, () -> WorkloadFiles.read(f, CTX, 0)).getMessage();
        assertTrue(m.contains("big.jsonl:1: prompt (2000000000) + output (2000000000) = 4000000000 tokens exceeds the model context"), m);
        WorkloadContext small = new WorkloadContext(32000, 4096, null, 15_000);
        Path many = file("many.jsonl", "{\"id\":\"a\",\"arrival_s\":0,\"prompt_len\":2000,\"output_len\":100}\n"
                + "{\"id\":\"b\",\"arrival_s\":0,\"prompt_len\":2000,\"output_len\":100}\n");
        m = assertThrows(WorkloadException.class, () -> WorkloadFiles.read(many, small, 0)).getMessage();
        assertTrue(m.contains("many.jsonl:2: the 2 requests up to here need about"), m);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
