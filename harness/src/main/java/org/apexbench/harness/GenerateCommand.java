package org.apexbench.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apexbench.model.Generator;
import org.apexbench.model.LlamaModel;
import org.apexbench.model.LlamaWeights;
import org.apexbench.model.ModelPresets;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.workloads.SamplingParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Generate tokens for one prompt and print the new token ids on one line, comma separated.",
                "The model is a Hugging Face checkpoint folder (config.json + *.safetensors) or a preset name",
                "(synthetic weights of that shape, seeded by --weights-seed)."})
final class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR|PRESET",
            description = "Checkpoint folder, or a preset: ${COMPLETION-CANDIDATES}", completionCandidates = Presets.class)
    String model;

    @Option(names = "--prompt-ids", required = true, split = ",", paramLabel = "ID[,ID...]", description = "Prompt token ids.")
    int[] promptIds;

    @Option(names = "--max-new-tokens", required = true, paramLabel = "N", description = "Tokens to generate (no stop token).")
    int maxNewTokens;

    @Option(names = "--backend", defaultValue = "cpu", paramLabel = "cpu|cuda", description = "Compute backend (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "CPU backend threads (0 = all processors).")
    int threads;

    @Option(names = "--kv-dtype", defaultValue = "f32", paramLabel = "f32|f16|bf16",
            description = "KV cache element type (default ${DEFAULT-VALUE}: reproduces float32 references exactly).")
    String kvDtype;

    @Option(names = "--temperature", defaultValue = "0", paramLabel = "T", description = "0 = greedy (default).")
    float temperature;

    @Option(names = "--top-p", defaultValue = "1", paramLabel = "P", description = "Nucleus sampling mass in (0, 1].")
    float topP;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Sampling seed.")
    long seed;

    @Option(names = "--weights-seed", defaultValue = "0", paramLabel = "S", description = "Seed of a preset's synthetic weights.")
    long weightsSeed;

    static final class Presets implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() { return ModelPresets.names().stream().sorted().iterator(); }
    }

    @Override
    public Integer call() {
        if (maxNewTokens < 0) throw new IllegalArgumentException("--max-new-tokens must be >= 0, got " + maxNewTokens);
        if (promptIds.length == 0) throw new IllegalArgumentException("--prompt-ids needs at least one id");
        RunOptions.checkThreads("--threads", threads);
        SamplingParams params = new SamplingParams(temperature, topP, seed);
        DType kv = switch (kvDtype.toLowerCase(Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "f16" -> DType.F16;
            case "bf16" -> DType.BF16;
            default -> throw new IllegalArgumentException("--kv-dtype: expected f32, f16 or bf16, got '" + kvDtype + "'");
        };
        try (Backend b = Backends.open(backend, threads);
             LlamaModel m = new LlamaModel(loadWeights(model, b, weightsSeed), b)) { // the model closes its weights
            int vocab = m.config().vocabSize();
            for (int id : promptIds) {
                if (id < 0 || id >= vocab) {
                    throw new IllegalArgumentException("--prompt-ids: token id " + id + " is outside the model's vocabulary [0, " + vocab + ")");
                }
            }
            int[] out = new Generator(m, Generator.Options.of(kv)).generate(List.of(promptIds), maxNewTokens, params).get(0);
            spec.commandLine().getOut().println(IntStream.of(out).mapToObj(Integer::toString).collect(Collectors.joining(",")));
        }
        return 0;
    }

    /** Checkpoint folder when {@code model} is a directory, else preset synthetic weights. */
    static LlamaWeights loadWeights(String model, Backend backend, long weightsSeed) {
        Path dir = Path.of(model);
        if (Files.isDirectory(dir)) return LlamaWeights.load(dir, backend);
        if (!ModelPresets.names().contains(model)) {
            throw new IllegalArgumentException("--model '" + model + "' is neither a checkpoint folder nor a preset; presets: "
                    + ModelPresets.names().stream().sorted().toList());
        }
        return LlamaWeights.synthetic(ModelPresets.config(model), DType.F16, weightsSeed, backend);
    }
}
