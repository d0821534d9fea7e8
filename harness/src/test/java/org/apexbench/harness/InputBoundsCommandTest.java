package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11: absurd input is refused before any work, each message naming the option, field or file and the limit, and
 * no stack trace reaches the user; a run whose activations go NaN stops naming the request and the layer.
 */
class InputBoundsCommandTest {
    static final String SMALL = RunCommandTest.SMALL;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir Path tmp;

    /** Runs `apex run` with these options; asserts a refusal (exit 1, no trace, no folder) and returns stderr. */
    private Cli refused(String... options) {
        List<String> args = new ArrayList<>(List.of("run", "--engine", "gpu-only", "--out", tmp.resolve("out").toString(), "--quiet"));
        args.addAll(List.of(options));
        if (!args.contains("--requests")) args.addAll(List.of("--requests", SMALL));
        Cli r = Cli.run(args.toArray(String[]::new));
        assertEquals(1, r.code(), r.out() + r.err());
        assertFalse(r.err().contains("\tat ") || r.err().contains("Exception in"), "no stack trace: " + r.err());
        assertFalse(r.err().contains("error: null"), r.err());
        assertFalse(Files.exists(tmp.resolve("out")), "nothing written");
        return r;
    }

    /** A small cpu run of {@code model}; {@code more} replaces defaults of the same option. */
    private static String[] cpu(String model, String... more) {
        java.util.Map<String, String> a = new java.util.LinkedHashMap<>();
        String[] defaults = {"--backend", "cpu", "--model", model, "--threads", "1", "--max-running", "16", "--max-tokens", "96",
                "--gpu-kv-blocks", "8", "--host-kv-blocks", "64", "--requests", "synthetic:count=2,input=12,output=4"};
        for (int i = 0; i < defaults.length; i += 2) a.put(defaults[i], defaults[i + 1]);
        for (int i = 0; i < more.length; i += 2) a.put(more[i], more[i + 1]);
        List<String> out = new ArrayList<>();
        a.forEach((k, v) -> out.addAll(List.of(k, v)));
        return out.toArray(String[]::new);
    }

    @Test
    void countsAndRatesThatCannotWorkAreRefused() {
        assertTrue(refused("--requests", "synthetic:count=1000000000,input=20,output=5").err()
                .contains("count=1000000000 is more than the 10000000 requests a workload may have"));
        assertTrue(refused("--requests", "synthetic:count=5,input=20,output=5,rate=1e-300").err()
                .contains("spreads 5 arrivals over about 5.00e+300 s"));
        Cli heap = refused("--requests", "synthetic:count=9000000,input=2000,output=2000");
        assertTrue(heap.err().contains("need about") && heap.err().contains("-Xmx"), heap.err());
    }

    /** --threads 100000 said "error: null"; an absurd --gpu-kv-blocks on cpu died allocating 12 TB. */
    @Test
    void threadsAndKvBlocksAreBoundedByTheMachine() {
        int max = 4 * Runtime.getRuntime().availableProcessors();
        assertTrue(refused(cpu("tiny-llama3", "--threads", "100000")).err()
                .contains("--threads must be between 0 (all processors) and " + max));
        Cli kv = refused(cpu("tiny-llama3", "--gpu-kv-blocks", "2000000000"));
        assertTrue(kv.err().contains("KV pools and activations need") && kv.err().contains("--gpu-kv-blocks 2000000000")
                && kv.err().contains("of this machine's"), kv.err());
        Cli sim = refused("--gpu-kv-blocks", "2000000000");
        assertTrue(sim.err().contains("--gpu-kv-blocks 2000000000: 2000000000 blocks of 8388608 bytes (llama-2-7b, 16 tokens each) "
                + "need 16777.2 TB, but t4-g4dn.4xlarge's GPU has"), sim.err());
        assertTrue(refused("--host-kv-blocks", "2000000000").err().contains("t4-g4dn.4xlarge's host has"));
        assertTrue(refused(cpu("tiny-llama3", "--max-tokens", "2000000000")).err().contains("of activations"));
        assertEquals(1, Cli.run("generate", "--model", "tiny-llama3", "--prompt-ids", "1", "--max-new-tokens", "2", "--threads", "100000").code());
        assertTrue(Cli.run("profile", "--backend", "cpu", "--model", "tiny-llama3", "--threads", "-1", "--out",
                tmp.resolve("p.json").toString()).err().contains("--threads must be between 0"));
    }

    /** NaN SLOs were accepted and dropped; non-finite numbers are refused wherever they are given. */
    @Test
    void nonFiniteNumbersAreRefusedNamingTheOption() {
        assertTrue(refused("--slo-ttft-ms", "NaN").err().contains("--slo-ttft-ms must be a latency in ms, > 0 and finite, got NaN"));
        assertTrue(refused("--slo-tpot-ms", "-5").err().contains("--slo-tpot-ms must be"));
        assertTrue(refused("--jitter", "NaN").err().contains("--jitter must be a log-normal sigma in [0, 3]"));
        assertTrue(refused("--gpu-memory", "Infinity").err().contains("--gpu-memory must be"));
        assertTrue(refused("--sim-cpu-slowdown", "1e300").err().contains("--sim-cpu-slowdown must be a positive factor"));
        Cli sweep = Cli.run("sweep", "--over", "jitter", "--values", "0,NaN", "--requests", SMALL, "--out", tmp.resolve("s").toString());
        assertTrue(sweep.err().contains("--values must be finite numbers, got NaN"), sweep.err());
        Cli max = Cli.run("sweep", "--find-max-rate", "--slo-tpot-ms", "100", "--max-rate", "Infinity", "--requests", SMALL,
                "--out", tmp.resolve("m").toString());
        assertTrue(max.err().contains("--min-rate and --max-rate must satisfy"), max.err());
    }

    /** A profile with negative, zero or 1e300-second cells was accepted. */
    @Test
    void aProfileWithCellsThatAreNotTimesIsRefused() throws Exception {
        Path profile = tmp.resolve("t4.json");
        assertEquals(0, Cli.run("profile", "--out", profile.toString()).code());
        ObjectNode root = (ObjectNode) JSON.readTree(profile.toFile());
        ((ArrayNode) root.get("tables").get("post").get("seconds")).set(2, JSON.getNodeFactory().numberNode(1e300));
        Files.writeString(profile, JSON.writeValueAsString(root));
        Cli r = refused("--profile", profile.toString());
        assertTrue(r.err().contains("profile " + profile + ": ") && r.err().contains("table 'post' cell [2]")
                && r.err().contains("is 1.0E300 s"), r.err());
    }

    /** A trace with a byte-order mark was said to have no timestamps; a short row gave a raw CSV-library message. */
    @Test
    void traceFilesAreReadOrRefusedNamingFileAndLine() throws Exception {
        Path bom = tmp.resolve("bom.csv");
        Files.write(bom, ("\uFEFFarrived_at,num_prefill_tokens,num_decode_tokens\n0,20,5\n2,20,5\n").getBytes(StandardCharsets.UTF_8));
        Cli ok = Cli.run("run", "--engine", "gpu-only", "--requests", "trace:" + bom, "--out", tmp.resolve("bom").toString(), "--quiet");
        assertEquals(0, ok.code(), ok.err());
        Path shortRow = Files.writeString(tmp.resolve("short.csv"), "arrived_at,num_prefill_tokens,num_decode_tokens\n0,20,5\n2,20\n");
        assertTrue(refused("--requests", "trace:" + shortRow).err().contains("short.csv:3: has 2 fields, the header has 3"));
    }

    /** hidden_act gelu was accepted and run as SiLU. */
    @Test
    void unsupportedModelConfigsAreRefused() throws Exception {
        Path model = copyFixture("gelu");
        Path config = model.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"silu\"", "\"gelu\""));
        Cli r = refused(cpu(model.toString()));
        assertTrue(r.err().contains(config + ": field 'hidden_act' is 'gelu', only 'silu'"), r.err());
        Files.writeString(config, Files.readString(config).replace("\"gelu\"", "\"silu\"").replace("\"LlamaForCausalLM\"", "\"MistralForCausalLM\""));
        assertTrue(refused(cpu(model.toString())).err().contains("only LlamaForCausalLM"));
    }

    /** NaN weights generated token 0 with exit 0; now the run stops naming the request and the first broken layer. */
    @Test
    void nanWeightsStopTheRunNamingRequestAndLayer() throws Exception {
        Path model = copyFixture("nan");
        poisonFirstElement(model.resolve("model.safetensors"), "model.layers.1.mlp.down_proj.weight");
        Cli r = refused(cpu(model.toString()));
        assertTrue(r.err().contains("request r0: NaN or infinite activations after layer 1 of 3 (its attention and MLP; "
                + "weights model.layers.1.*)"), r.err());
        Cli gen = Cli.run("generate", "--model", model.toString(), "--prompt-ids", "1,2,3", "--max-new-tokens", "2", "--threads", "1");
        assertEquals(1, gen.code(), gen.out());
        assertTrue(gen.err().contains("after layer 1 of 3") && gen.out().isBlank(), gen.err());
    }

    /** A broken LM head (every layer finite) and a broken embedding row are named as such, not as a layer. */
    @Test
    void nanInTheLmHeadOrTheEmbeddingIsNamedAsSuch() throws Exception {
        Path head = copyFixture("nan-head");
        poisonFirstElement(head.resolve("model.safetensors"), "lm_head.weight");
        Cli gen = Cli.run("generate", "--model", head.toString(), "--prompt-ids", "1,2,3", "--max-new-tokens", "2", "--threads", "1");
        assertEquals(1, gen.code(), gen.out());
        assertTrue(gen.err().contains("prompt 0: NaN or infinite logits after the final norm and LM head (weights model.norm.weight, "
                + "lm_head.weight) although every layer's output was finite"), gen.err());
        Path embed = copyFixture("nan-embed");
        poisonFirstElement(embed.resolve("model.safetensors"), "model.embed_tokens.weight");   // token 0's row
        Cli e = Cli.run("generate", "--model", embed.toString(), "--prompt-ids", "1,0,3", "--max-new-tokens", "2", "--threads", "1");
        assertEquals(1, e.code(), e.out());
        assertTrue(e.err().contains("prompt 0: NaN or infinite activations after the embedding (row of model.embed_tokens.weight)"),
                e.err());
    }

    @Test
    void aMessagelessExceptionIsNeverPrintedAsNull() {
        assertEquals("IllegalArgumentException", ApexCli.message(new IllegalArgumentException()));
        assertEquals("IllegalStateException: x", ApexCli.message(new IllegalStateException(null,
                new NumberFormatException("x"))));
    }

    private Path copyFixture(String name) throws Exception {
        Path src = RealEngineRuns.tinyLlama3(), dst = tmp.resolve(name);
        Files.createDirectories(dst);
        try (Stream<Path> files = Files.list(src)) {
            for (Path f : files.toList()) Files.copy(f, dst.resolve(f.getFileName()));
        }
        return dst;
    }

    /** Writes a NaN (bf16 0x7FC0) over the first element of {@code tensor}. */
    static void poisonFirstElement(Path file, String tensor) throws Exception {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            byte[] len = new byte[8];
            f.readFully(len);
            long headerLen = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
            byte[] header = new byte[(int) headerLen];
            f.readFully(header);
            var t = JSON.readTree(header).get(tensor);
            assertEquals("BF16", t.get("dtype").textValue());
            f.seek(8 + headerLen + t.get("data_offsets").get(0).longValue());
            f.write(new byte[] {(byte) 0xC0, 0x7F});
        }
    }
}
