package org.apexbench.harness;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code apex} command line. Each subcommand is its own class; this one wires them and the error policy. */
@Command(name = "apex", mixinStandardHelpOptions = true, version = "APEX Bench 0.1.0",
        description = {"Benchmark and profile LLM inference engines for memory-constrained GPUs: gpu-only (vLLM-like), "
                + "static-hybrid (NEO, FastDecode, offload) and apex, on the same workloads: on a simulated clock (sim) "
                + "driven by hardware cost models, or with the real model on the CPU (cpu) or a CUDA GPU (cuda).",
                "", "With no arguments, `apex compare` runs the built-in default comparison and writes runs/default/report.html.",
                "Run 'apex COMMAND --help' for each command's options."},
        subcommands = {RunCommand.class, CompareCommand.class, SweepCommand.class, ProfileCommand.class, MicrobenchCommand.class,
                ReproduceCommand.class, FidelityCommand.class, GenerateCommand.class, ServeCommand.class, ReportCommand.class, RegressCommand.class, EnginesCommand.class, ValidateCommand.class,
                CommandLine.HelpCommand.class})
public final class ApexCli implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: give one of "
                + spec.subcommands().keySet());
    }

    /** A configured command line; tests call {@code execute} on it with their own out/err writers. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new ApexCli());
        cl.setUsageHelpWidth(110);
        // Spec ids contain dots, where help text wraps: list them one per line in a footer instead.
        java.util.List<String> footer = new java.util.ArrayList<>(java.util.List.of("", "Hardware spec ids (--hardware):"));
        for (String id : org.apexbench.profiler.hardware.HardwareSpecs.ids()) {
            footer.add(String.format(java.util.Locale.ROOT, "  %-17s %s", id,
                    org.apexbench.profiler.hardware.HardwareSpecs.builtIn(id).description()));
        }
        for (String name : java.util.List.of("run", "compare", "sweep", "profile")) {
            cl.getSubcommands().get(name).getCommandSpec().usageMessage().footer(footer.toArray(String[]::new));
        }
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (ex instanceof IllegalArgumentException || ex instanceof UncheckedIOException
                    || ex instanceof IllegalStateException || ex instanceof UnsupportedOperationException
                    || ex instanceof org.apexbench.kernels.BackendUnavailableException) {
                // Input or environment errors: the message says what and where; no stack trace.
                err.println("apex " + commandLine.getCommandName() + ": error: " + message(ex));
                err.flush();
                return 1;
            }
            // Anything else is a bug of ours, not the user's input: say so, with the trace to report.
            err.println("apex " + commandLine.getCommandName() + ": internal error (a bug in apex; please report it with this trace): " + ex);
            throw ex;
        });
        return cl;
    }

    /** An exception's message, or what it is when it has none (a library's bare exception; never "null"). */
    static String message(Throwable ex) {
        String m = ex.getMessage();
        if (m == null || m.isBlank()) return ex.getClass().getSimpleName() + (ex.getCause() != null ? ": " + message(ex.getCause()) : "");
        return m;
    }

    /**
     * The repository root ({@code -Dapex.root}, set by ./apex), for git commit and default output folders; the
     * current directory where it is not set (the distribution's bin/apex, which has no repository).
     */
    static Path root() {
        return Path.of(System.getProperty("apex.root", ".")).toAbsolutePath().normalize();
    }

    public static void main(String[] args) {
        int status;
        try {
            status = commandLine().execute(args);
        } catch (OutOfMemoryError e) {
            // The work was accepted but its records outgrew the heap; the result folder (if any) was never committed.
            System.err.println("apex: error: out of memory: this run's records need more than the JVM's "
                    + String.format(java.util.Locale.ROOT, "%.1f GB", Runtime.getRuntime().maxMemory() / 1e9)
                    + " heap; give fewer requests, or more heap (./apex reads APEX_JAVA_OPTS, e.g. APEX_JAVA_OPTS=-Xmx16g)");
            status = 1;
        }
        System.exit(status);
    }
}
