package org.apexbench.harness;

import java.util.concurrent.Callable;
import org.apexbench.kernels.cpu.CpuMicrobench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "microbench", mixinStandardHelpOptions = true,
        description = {"Quick CPU kernel measurements (one result line each); JMH benchmarks are in benchmarks/.",
                "  cpu-attention  paged fp16 decode attention (the hybrid engines' CPU side): GB/s of KV read",
                "  cpu-gemv       bf16 matrix-vector product (11008 x 4096): GB/s of weights read",
                "Each line also gives a STREAM-like copy rate on the same threads and the ratio of the two."})
final class MicrobenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "KERNEL", description = "cpu-attention or cpu-gemv")
    String kernel;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N", description = "Worker threads (0 = all processors).")
    int threads;

    @Override
    public Integer call() {
        RunOptions.checkThreads("--threads", threads);
        String line = switch (kernel) {
            case "cpu-attention" -> CpuMicrobench.attention(threads);
            case "cpu-gemv" -> CpuMicrobench.gemv(threads);
            default -> throw new IllegalArgumentException("unknown kernel '" + kernel + "'; known: cpu-attention, cpu-gemv");
        };
        spec.commandLine().getOut().println(line);
        return 0;
    }
}
