package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The options that enter a profile's fingerprint (the worker thread count and the KV element type) default the same
 * in run, profile and serve, so a profile written with the defaults drives a run or a server with the defaults.
 */
class CommandDefaultsTest {
    @ParameterizedTest
    @ValueSource(strings = {"cpu", "cuda"})
    void threadsAndKvDtypeDefaultAlikeInRunProfileAndServe(String backend) {
        RunCommand run = new RunCommand();
        new CommandLine(run).parseArgs("--engine", "apex", "--out", "r", "--backend", backend);
        ProfileCommand profile = new ProfileCommand();
        new CommandLine(profile).parseArgs("--backend", backend, "--out", "p.json");
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--backend", backend, "--model", "tiny-llama3", "--gpu-kv-blocks", "8",
                "--host-kv-blocks", "64");

        assertEquals(run.options.threads, profile.threads, "--threads: run vs profile");
        assertEquals(run.options.threads, serve.threads, "--threads: run vs serve");
        String kv = run.options.kvDtypeOrDefault();
        assertEquals(kv, RunOptions.kvDtypeOrDefault(profile.kvDtype, profile.backend), "--kv-dtype: run vs profile");
        assertEquals(kv, RunOptions.kvDtypeOrDefault(serve.kvDtype, serve.backend), "--kv-dtype: run vs serve");
        assertEquals(backend.equals("cuda") ? "f16" : "f32", kv, "the backend's own KV default");
    }
}
