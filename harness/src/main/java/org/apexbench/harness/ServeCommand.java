package org.apexbench.harness;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.engine.EngineOptions;
import org.apexbench.engine.runs.EngineRuns;
import org.apexbench.model.ModelConfig;
import org.apexbench.model.ModelSource;
import org.apexbench.kernels.DType;
import org.apexbench.profiler.table.Profile;
import org.apexbench.serving.server.ApexServer;
import org.apexbench.serving.server.ModelFolder;
import org.apexbench.serving.server.ServingEngine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve one of our engines behind the OpenAI-compatible API (docs/serving.md): POST /v1/completions",
                "(streamed or not; prompts as token ids, or text where the model folder has a tokenizer.json), GET /v1/models,",
                "GET /metrics (Prometheus text), GET /health. Requests from every connection are batched by the one engine",
                "loop. Runs until interrupted (Ctrl-C, SIGINT or SIGTERM): it then stops accepting connections, lets",
                "requests in flight finish for --shutdown-grace seconds, cancels the rest and exits."})
final class ServeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--engine", defaultValue = "gpu-only", paramLabel = "ENGINE",
            description = "Engine to serve, with its own options if any: gpu-only, static-hybrid[:neo|fastdecode|offload], "
                    + "apex, apex[marginPct=5] (default ${DEFAULT-VALUE}).")
    String engine;

    @Option(names = "--backend", defaultValue = "cpu", paramLabel = "cpu|cuda",
            description = "Where the model runs (default ${DEFAULT-VALUE}); host attention always runs on this host's CPU.")
    String backend;

    @Option(names = "--model", required = true, paramLabel = "DIR|PRESET",
            description = "A checkpoint folder (config.json, safetensors; a tokenizer.json enables text prompts) or a preset "
                    + "with synthetic weights (tiny-llama2, tiny-llama3, ...).")
    String model;

    @Option(names = "--served-model-name", paramLabel = "NAME",
            description = "The model name clients ask for (default: --model as given, as vLLM does).")
    String servedModelName;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "ADDR",
            description = "Address to listen on (default ${DEFAULT-VALUE}: this machine only; 0.0.0.0: every interface).")
    String host;

    @Option(names = "--port", defaultValue = "8000", paramLabel = "N", description = "Port (default ${DEFAULT-VALUE}; 0: any free one).")
    int port;

    @Option(names = "--gpu-kv-blocks", required = true, paramLabel = "N", description = "GPU KV pool size in 16-token blocks.")
    int gpuKvBlocks;

    @Option(names = "--host-kv-blocks", required = true, paramLabel = "N", description = "Host KV pool size in blocks.")
    int hostKvBlocks;

    @Option(names = "--max-running", defaultValue = "512", paramLabel = "N", description = "Most requests holding KV at once.")
    int maxRunning;

    @Option(names = "--max-tokens", defaultValue = "2048", paramLabel = "N", description = "Most tokens per iteration.")
    int maxTokens;

    @Option(names = "--threads", defaultValue = RunOptions.DEFAULT_THREADS, paramLabel = "N",
            description = "Worker threads of each of the two cpu backends (0 = all processors).")
    int threads;

    @Option(names = "--kv-dtype", paramLabel = "f32|f16|bf16", description = "KV element type (default: f32 on cpu, f16 on cuda).")
    String kvDtype;

    @Option(names = "--profile", paramLabel = "FILE",
            description = "Profile the scheduler predicts from (default: swept on this machine at start-up).")
    Path profile;

    @Option(names = "--engine-option", paramLabel = "KEY=VALUE", description = "Engine option, repeatable.")
    Map<String, String> engineOptions = new LinkedHashMap<>();

    @Option(names = "--shutdown-grace", defaultValue = "5", paramLabel = "S",
            description = "On interrupt, seconds requests in flight may take to finish before they are cancelled (default ${DEFAULT-VALUE}).")
    double shutdownGrace;

    @Override
    public Integer call() throws InterruptedException {
        if (!backend.equals("cpu") && !backend.equals("cuda")) {
            throw new IllegalArgumentException("--backend: apex serve runs the real model, on cpu or cuda; got '" + backend
                    + "' (sim has no model to serve)");
        }
        if (gpuKvBlocks < 0 || hostKvBlocks < 0) throw new IllegalArgumentException("--gpu-kv-blocks and --host-kv-blocks must be >= 0");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
        if (!(shutdownGrace >= 0) || Double.isInfinite(shutdownGrace)) {
            throw new IllegalArgumentException("--shutdown-grace must be a number of seconds >= 0, got " + shutdownGrace);
        }
        RunOptions.checkThreads("--threads", threads);
        ModelSource source = ModelSource.of(model, 0);
        ModelConfig config = source.config();
        Path dir = source.checkpoint();
        boolean folder = dir != null;
        DType kv = EngineRunner.kvType(RunOptions.kvDtypeOrDefault(kvDtype, backend));
        EngineChoice choice = EngineChoice.parse(engine, engineOptions);
        if (choice.engineId().equals("openai")) throw new IllegalArgumentException("--engine openai is a client, not an engine to serve");
        Engine e = EngineRuns.create(choice.engineId(), new EngineOptions(choice.options()));
        EngineBudgets budgets = new EngineBudgets(maxRunning, maxTokens, gpuKvBlocks, hostKvBlocks, EngineBudgets.DEFAULT_BLOCK_SIZE);
        Limits.checkRealMemory(backend, source, kv, budgets);
        ServingEngine.Setup setup = new ServingEngine.Setup(e, backend, threads,
                source.weights(), source.weightType(), budgets,
                profile == null ? null : Profile.load(profile), kv);
        String name = servedModelName != null ? servedModelName : model;
        var err = spec.commandLine().getErr();
        err.println("apex serve: loading " + config.name() + " on the " + backend + " backend"
                + (profile == null ? " and sweeping its profile" : "") + " ...");
        err.flush();
        ApexServer server = ApexServer.start(setup, new ApexServer.Config(host, port, name, folder ? dir : null,
                ModelFolder.eosTokenId(folder ? dir : null)), System.err);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("apex serve: shutting down (requests in flight get " + shutdownGrace + " s) ...");
            server.stop(shutdownGrace);
            System.err.println("apex serve: stopped");
            stopped.countDown();
        }, "apex-serve-shutdown"));
        var out = spec.commandLine().getOut();
        out.println("apex serve: " + e.id() + " serving model '" + name + "' at " + server.url() + " (" + server.engine().device()
                + "; " + (server.textPrompts() ? "token-id and text prompts" : "token-id prompts only: no tokenizer.json") + ")");
        out.println("apex serve: POST /v1/completions, GET /v1/models, GET /metrics, GET /health; Ctrl-C stops");
        out.flush();
        stopped.await();
        return 0;
    }
}
