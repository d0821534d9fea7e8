package org.apexbench.workloads;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a workload needs to know about the run: the model's vocabulary (synthetic prompt ids are
 * drawn from [0, vocab)), its context limit (prompt + output must fit), and where the traces are.
 *
 * @param vocab      vocabulary size of the model
 * @param maxContext most positions a request may use (prompt + output)
 * @param tracesDir  directory of the trace CSVs ({@code shared/traces}), or null when not available
 */
public record WorkloadContext(int vocab, int maxContext, Path tracesDir) {
    /** System property naming the traces directory (Surefire sets it; the harness passes --traces). */
    public static final String TRACES_PROPERTY = "apex.traces";

    public WorkloadContext {
        if (vocab < 1) {
            throw new IllegalArgumentException("workload context: vocab must be >= 1, got " + vocab);
        }
        if (maxContext < 2) {
            throw new IllegalArgumentException("workload context: maxContext must be >= 2, got " + maxContext);
        }
    }

    /** A context whose traces directory comes from {@value #TRACES_PROPERTY}, if set. */
    public static WorkloadContext withSystemTraces(int vocab, int maxContext) {
        String dir = System.getProperty(TRACES_PROPERTY);
        return new WorkloadContext(vocab, maxContext, dir == null ? null : Path.of(dir));
    }

    /** The traces directory, or an error saying how to provide one. */
    public Path requireTracesDir(String why) {
        if (tracesDir == null) {
            throw new IllegalArgumentException(why + " needs the traces directory: pass --traces DIR (or -D"
                    + TRACES_PROPERTY + "=DIR); it holds splitwise_conv.csv, splitwise_code.csv and the arXiv CSV");
        }
        if (!Files.isDirectory(tracesDir)) {
            throw new IllegalArgumentException(why + ": traces directory " + tracesDir + " does not exist");
        }
        return tracesDir;
    }
}
