package org.apexbench.workloads;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a workload needs to know about the run: the model's vocabulary (synthetic prompt ids are
 * drawn from [0, vocab)), its context limit (prompt + output must fit), and where the traces are
 * when not the copies packaged with this module.
 *
 * @param vocab       vocabulary size of the model
 * @param maxContext  most positions a request may use (prompt + output)
 * @param tracesDir   folder of the trace CSVs to use instead of the packaged ones, or null
 * @param memoryBytes heap the workload's requests may need ({@link Workload#bytesNeeded}); a workload that needs more
 *                    is refused before its prompts are built
 */
public record WorkloadContext(int vocab, int maxContext, Path tracesDir, long memoryBytes) {
    /** System property naming a traces folder that replaces the packaged traces (the harness's --traces). */
    public static final String TRACES_PROPERTY = "apex.traces";

    public WorkloadContext {
        if (vocab < 1) {
            throw new WorkloadException("workload context: vocab must be >= 1, got " + vocab);
        }
        if (maxContext < 2) {
            throw new WorkloadException("workload context: maxContext must be >= 2, got " + maxContext);
        }
        if (memoryBytes < 1) {
            throw new WorkloadException("workload context: memoryBytes must be >= 1, got " + memoryBytes);
        }
    }

    /** A context with no memory limit of its own. */
    public WorkloadContext(int vocab, int maxContext, Path tracesDir) {
        this(vocab, maxContext, tracesDir, Long.MAX_VALUE);
    }

    /** The traces folder this context names (non-null), or an error saying it does not exist. */
    Path requireTracesDir(String why) {
        if (!Files.isDirectory(tracesDir)) {
            throw new WorkloadException(why + ": traces directory " + tracesDir + " does not exist");
        }
        return tracesDir;
    }
}
