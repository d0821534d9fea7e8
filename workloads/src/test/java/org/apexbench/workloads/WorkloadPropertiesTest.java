package org.apexbench.workloads;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Property-based tests (QuickTheories) of every workload input: random and mutated specs, trace CSVs and workload
 * files either load into a workload that keeps its invariants, or fail with {@link WorkloadException} whose message
 * names the input (the spec text, or the file). Anything else (a raw NumberFormatException, a CSV library's
 * exception, an OutOfMemoryError, an arithmetic overflow) fails the property. Seeded (apex.property.seed, default
 * 11) so CI runs the same cases; apex.property.examples raises the count for a longer search.
 */
class WorkloadPropertiesTest {
    static final long SEED = Long.getLong("apex.property.seed", 11);
    static final int EXAMPLES = Integer.getInteger("apex.property.examples", 400);
    /** A small model and a 20 MB heap share: large workloads are refused fast instead of built. */
    static final WorkloadContext CTX = new WorkloadContext(1000, 2048, null, 20_000_000);

    @TempDir Path dir;
    private final AtomicInteger files = new AtomicInteger();

    static final List<String> KINDS = List.of("chat", "sharegpt", "long-output", "cot", "mixed", "synthetic", "trace", "file",
            "poetry", "", " synthetic ");
    static final List<String> KEYS = List.of("count", "seed", "rate", "cv", "concurrency", "arrival", "normalize", "temperature",
            "top_p", "input", "output", "cap", "scale", "limit", "start", "end", "min-input", "max-input", "min-output",
            "max-output", "chat", "sharegpt", "cot", "long-output", "bogus", "");
    static final List<String> VALUES = List.of("0", "1", "2", "3", "7", "40", "300", "5000", "1000000000", "99999999999", "-1",
            "1.5", "0.5", "1e-300", "1e300", "NaN", "Infinity", "-Infinity", "", "x", "true", "false", "poisson", "gamma",
            "uniform", "all", "closed", "trace", "9223372036854775807", "0x10", " 2 ");
    static final List<String> WORDS = List.of("splitwise_conv", "splitwise_code", "arxiv", "/no/such.csv", "x.jsonl", "a b");

    /** One spec argument: key=value, a bare word, or a key with an empty value. */
    static final Gen<String> ARG = Generate.frequency(List.of(
            org.quicktheories.api.Pair.of(6, Generate.pick(KEYS).zip(Generate.pick(VALUES), (k, v) -> k + "=" + v)),
            org.quicktheories.api.Pair.of(1, Generate.pick(WORDS)),
            org.quicktheories.api.Pair.of(1, Generate.pick(KEYS).map(k -> k + "="))));

    static final Gen<String> RANDOM_SPEC = Generate.pick(KINDS)
            .zip(Generate.pick(List.of(":", ";", "", ":;", "::")), lists().of(ARG).ofSizeBetween(0, 6),
                    lists().of(ARG).ofSizeBetween(0, 3), (kind, sep, head, tail) -> kind + sep + String.join(",", head)
                            + (tail.isEmpty() ? "" : ";" + String.join(",", tail)));

    /** Specs of the grammar's shapes with numbers filled in (most load), for mutations to start from. */
    static final List<String> TEMPLATES = List.of("synthetic:count={c},input={p},output={o}",
            "synthetic:count={c},input={p},output={o},rate={r}", "long-output:count={c},concurrency={k}", "chat:count={c},rate={r},seed={s}",
            "sharegpt:count={c},arrival=uniform,rate={r}", "cot:cap={p},count={c}", "mixed:chat=1,cot={k};count={c},rate={r},normalize=true",
            "trace:splitwise_code,limit={c}", "trace:arxiv,rate={r},limit={c}", "trace:splitwise_conv,start={s},end=4000,limit={c},scale=0.5",
            "synthetic:count={c},input={p},output={o},cv=2,rate={r}", "sharegpt:count={c},temperature=0.8,top_p=0.9",
            "synthetic:count={k}000,input={p},output={o}", "trace:splitwise_code,rate={r}");
    static final Gen<String> FILLED = Generate.pick(TEMPLATES).zip(integers().between(1, 40), integers().between(1, 1500),
            integers().between(1, 800), (t, c, p, o) -> t.replace("{c}", "" + c).replace("{p}", "" + p).replace("{o}", "" + o))
            .zip(Generate.pick(List.of("0.5", "2", "1e-3", "40")), integers().between(1, 8), integers().between(0, 9999),
                    (t, r, k, sd) -> t.replace("{r}", r).replace("{k}", "" + k).replace("{s}", "" + sd));
    static final Gen<String> SPEC = Generate.frequency(List.of(org.quicktheories.api.Pair.of(2, FILLED),
            org.quicktheories.api.Pair.of(1, RANDOM_SPEC)));

    /** Text edits: (kind, position, token) triples applied in order; shrinking drops and simplifies them. */
    record Edit(int kind, int position, int token) {}

    static final Gen<Edit> EDIT = integers().between(0, 3).zip(integers().between(0, 10_000), integers().between(0, 255), Edit::new);

    static final String INSERTED = ",;:= \"\n\r\t0123456789.eE-+xNaI\uFEFF\u00e9{}[]";

    /** {@code text} with the edits applied: delete a char, insert a char, duplicate a span, cut the rest. */
    static String mutate(String text, List<Edit> edits) {
        StringBuilder b = new StringBuilder(text);
        for (Edit e : edits) {
            int p = b.isEmpty() ? 0 : e.position() % (b.length() + 1);
            switch (e.kind()) {
                case 0 -> { if (p < b.length()) b.deleteCharAt(p); }
                case 1 -> b.insert(p, INSERTED.charAt(e.token() % INSERTED.length()));
                case 2 -> b.insert(p, b.substring(p, Math.min(b.length(), p + 1 + e.token() % 8)));
                default -> b.setLength(Math.max(0, b.length() - e.token() % 4));
            }
        }
        return b.toString();
    }

    static Gen<String> mutated(Gen<String> base) {
        return base.zip(lists().of(EDIT).ofSizeBetween(0, 3), WorkloadPropertiesTest::mutate);
    }

    /** Runs {@code load}; on an exception, it must be ours and name the input ({@code name} in its message). */
    static <T> T ownErrorOrResult(String name, java.util.function.Supplier<T> load) {
        try {
            return load.get();
        } catch (WorkloadException e) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(name), "the message names " + name + ": " + e.getMessage());
            return null;
        } catch (Throwable t) {
            fail("input " + name + " gave " + t + " instead of a WorkloadException", t);
            return null;
        }
    }

    static void checkWorkload(Workload w, WorkloadContext ctx) {
        List<RequestSpec> r = w.requests();
        assertTrue(!r.isEmpty() && r.size() <= Workload.MAX_REQUESTS);
        long prompt = 0, output = 0;
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < r.size(); i++) {
            RequestSpec q = r.get(i);
            assertTrue(ids.add(q.id()), "unique ids");
            assertTrue(Double.isFinite(q.arrivalSec()) && q.arrivalSec() >= 0 && q.arrivalSec() <= Workload.MAX_ARRIVAL_SEC, q.toString());
            if (i > 0) assertTrue(q.arrivalSec() >= r.get(i - 1).arrivalSec(), "sorted by arrival");
            assertTrue(q.promptLength() >= 1 && q.outputTokens() >= 1 && q.promptLength() + q.outputTokens() <= ctx.maxContext(), q.toString());
            for (int t = 0; t < q.promptLength(); t++) assertTrue(q.promptToken(t) >= 0 && q.promptToken(t) < ctx.vocab());
            assertTrue(Float.isFinite(q.sampling().temperature()) && q.sampling().temperature() >= 0);
            prompt += q.promptLength();
            output += q.outputTokens();
        }
        assertTrue(Workload.bytesNeeded(r.size(), prompt, output) <= ctx.memoryBytes(), "within the memory the context allows");
        assertTrue(w.closedLoopConcurrency() >= 0);
    }

    @Test
    void specsLoadOrFailNamingTheSpec() {
        qt().withFixedSeed(SEED).withExamples(EXAMPLES).forAll(mutated(SPEC)).checkAssert(spec -> {
            Workload w = ownErrorOrResult(spec.startsWith("file") || spec.contains("trace") ? "" : "workload '" + spec + "'",
                    () -> WorkloadSpec.parse(spec).generate(CTX));
            if (w != null) checkWorkload(w, CTX);
        });
    }

    /** Known-good specs still load (the property is not passing by refusing everything). */
    @Test
    void validSpecsLoad() {
        for (String s : List.of("synthetic:count=5,input=3,output=2,rate=2", "mixed:chat=1,cot=2;count=4,seed=3",
                "long-output:count=3,concurrency=2", "trace:splitwise_code,limit=5", "trace:arxiv,rate=1,limit=3")) {
            checkWorkload(WorkloadSpec.parse(s).generate(new WorkloadContext(32000, 8192, null, 100_000_000)),
                    new WorkloadContext(32000, 8192, null, 100_000_000));
        }
    }

    static final List<String> TRACE_HEADERS = List.of("arrived_at,num_prefill_tokens,num_decode_tokens",
            "num_prefill_tokens,num_decode_tokens", "num_decode_tokens,arrived_at,num_prefill_tokens", "arrived_at,num_prefill_tokens",
            "arrived_at,num_prefill_tokens,num_decode_tokens,extra", "arrived_at,arrived_at,num_prefill_tokens,num_decode_tokens", "",
            "\uFEFFarrived_at,num_prefill_tokens,num_decode_tokens", "\"arrived_at\",num_prefill_tokens,\"num_decode_tokens\"");
    static final List<String> CELLS = List.of("0", "1", "17", "2.0", "2.5", "-3", "1e308", "NaN", "", "x", "\"5\"", "\"", "99999999999",
            "0.0001", " 4 ", "4 ", "3", "8");
    static final Gen<String> ROW = lists().of(Generate.pick(CELLS)).ofSizeBetween(0, 5).map(cells -> String.join(",", cells));
    static final Gen<String> TRACE = Generate.pick(TRACE_HEADERS).zip(lists().of(ROW).ofSizeBetween(0, 12),
            Generate.pick(List.of("\n", "\r\n")), (h, rows, eol) -> h + eol + String.join(eol, rows) + (rows.isEmpty() ? "" : eol));

    private Path write(String text, String ext, int badByte) throws java.io.IOException {
        Path f = dir.resolve("input-" + files.incrementAndGet() + ext);
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (badByte > 0 && bytes.length > 0) bytes[badByte % bytes.length] = (byte) (0x80 + badByte % 0x7f);   // maybe not UTF-8 any more
        Files.write(f, bytes);
        return f;
    }

    @Test
    void traceFilesLoadOrFailNamingTheFile() {
        qt().withFixedSeed(SEED).withExamples(EXAMPLES).forAll(mutated(TRACE), Generate.frequency(List.of(
                org.quicktheories.api.Pair.of(5, Generate.constant(0)), org.quicktheories.api.Pair.of(1, integers().between(1, 5000)))))
                .checkAssert((text, bad) -> {
                    Path f = uncheckedWrite(text, ".csv", bad);
                    Trace t = ownErrorOrResult(f.toString(), () -> Trace.load(f, "t"));
                    if (t == null) return;
                    assertTrue(!t.rows().isEmpty());
                    double last = 0;
                    for (Trace.Row r : t.rows()) {
                        assertTrue(r.input() >= 0 && r.output() >= 0, r.toString());
                        if (t.timed()) {
                            assertTrue(Double.isFinite(r.arrivalSec()) && r.arrivalSec() >= last, "finite and sorted: " + r);
                            last = r.arrivalSec();
                        }
                    }
                });
    }

    static final List<String> JSON_VALUES = List.of("0", "1", "3", "-1", "2.5", "1e308", "1e400", "\"a\"", "\"7\"", "null", "true",
            "[1,2,3]", "[]", "[-1]", "[999999]", "[1.5]", "{}", "99999999999", "\"\"");
    static final List<String> JSON_FIELDS = List.of("id", "arrival_s", "prompt_ids", "prompt_len", "output_len", "temperature",
            "top_p", "seed", "extra");
    static final Gen<String> JSON_ROW = lists().of(Generate.pick(JSON_FIELDS).zip(Generate.pick(JSON_VALUES),
            (k, v) -> "\"" + k + "\":" + v)).ofSizeBetween(0, 8).map(fields -> "{" + String.join(",", fields) + "}");
    /** Mostly sensible rows (so that loading often succeeds), some random ones. */
    static final Gen<String> GOOD_JSON_ROW = integers().between(0, 50).zip(integers().between(1, 30), integers().between(1, 30),
            (i, p, o) -> "{\"id\":\"r" + i + "\",\"arrival_s\":" + i + ",\"prompt_len\":" + p + ",\"output_len\":" + o + "}");
    static final Gen<String> JSONL = lists().of(Generate.frequency(List.of(org.quicktheories.api.Pair.of(3, GOOD_JSON_ROW),
            org.quicktheories.api.Pair.of(1, JSON_ROW)))).ofSizeBetween(0, 8).map(rows -> String.join("\n", rows) + "\n");
    static final Gen<String> CSV = lists().of(integers().between(0, 50).zip(integers().between(1, 30), Generate.pick(CELLS),
            (i, p, c) -> "r" + i + "," + i + "," + p + "," + c)).ofSizeBetween(0, 8)
            .map(rows -> "id,arrival_s,prompt_len,output_len\n" + String.join("\n", rows) + "\n");

    @Test
    void workloadFilesLoadOrFailNamingTheFile() {
        qt().withFixedSeed(SEED).withExamples(EXAMPLES).forAll(mutated(JSONL), mutated(CSV), integers().between(0, 3000))
                .checkAssert((jsonl, csv, bad) -> {
                    for (Path f : List.of(uncheckedWrite(jsonl, ".jsonl", bad % 7 == 0 ? bad : 0), uncheckedWrite(csv, ".csv", bad % 5 == 0 ? bad : 0))) {
                        List<RequestSpec> r = ownErrorOrResult(f.toString(), () -> WorkloadFiles.read(f, CTX, 0));
                        if (r != null) checkWorkload(new Workload(r, 0, "file"), CTX);
                    }
                });
    }

    @Test
    void theGeneratorsReachBothOutcomes() {
        // a property that only ever refuses (or only accepts) would test little: count both on the spec grammar
        int[] outcomes = new int[2];
        qt().withFixedSeed(SEED).withExamples(300).forAll(SPEC).checkAssert(spec -> {
            try {
                WorkloadSpec.parse(spec).generate(CTX);
                outcomes[0]++;
            } catch (WorkloadException e) {
                outcomes[1]++;
            }
        });
        assertTrue(outcomes[0] > 20 && outcomes[1] > 20, "loaded " + outcomes[0] + ", refused " + outcomes[1]);
    }

    private Path uncheckedWrite(String text, String ext, int bad) {
        try {
            return write(text, ext, bad);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
