package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.apexbench.reports.JsonFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real runs through the command line: the fixture's prompts, a GPU pool too small for all of them. */
class CpuRunCommandTest {
    @TempDir Path tmp;

    @Test
    void everyEngineGeneratesTheReferenceTokensUnderATightBudget() throws Exception {
        Path model = RealEngineRuns.tinyLlama3();
        ObjectMapper json = new ObjectMapper();
        ReferencePrompts prompts = ReferencePrompts.of(model, 12);
        Path workload = prompts.writeWorkload(tmp.resolve("prompts.jsonl"));
        Path dir = tmp.resolve("cmp");
        Cli r = Cli.run("compare", "--backend", "cpu", "--model", model.toString(), "--engines", "gpu-only,static-hybrid:fastdecode,apex",
                "--gpu-kv-blocks", "16", "--host-kv-blocks", "64", "--threads", "1", "--requests", workload.toString(),
                "--save-tokens", "--out", dir.toString(), "--quiet");
        assertEquals(0, r.code(), r.out() + r.err());
        for (String engine : List.of("gpu-only", "static-hybrid-fastdecode", "apex")) {
            prompts.assertTokensMatch(dir.resolve(engine).resolve("tokens.jsonl"), engine);
            assertEquals(prompts.count(), JsonFiles.read(dir.resolve(engine).resolve("summary.json")).get("completed"));
        }
        var environment = json.readTree(dir.resolve("environment.json").toFile());
        assertTrue(environment.toString().contains("cpu vector="), "environment.json names the device backend: " + environment);
        var fastdecode = JsonFiles.read(dir.resolve("static-hybrid-fastdecode/summary.json"));
        assertTrue(((Number) fastdecode.get("max_host_kv_blocks")).intValue() > 0, "host KV was used");
    }

    @Test
    void cpuRunsNeedExplicitPoolsAndSimHasNoTokens() {
        Cli r = Cli.run("run", "--engine", "gpu-only", "--backend", "cpu", "--model", "tiny-llama2", "--requests",
                "synthetic:count=2,input=8,output=4", "--out", tmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--backend cpu needs --gpu-kv-blocks and --host-kv-blocks"), r.err());
        r = Cli.run("run", "--engine", "gpu-only", "--requests", "synthetic:count=2,input=8,output=4", "--save-tokens",
                "--out", tmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--save-tokens needs a real backend"), r.err());
    }
}
