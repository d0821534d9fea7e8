package org.apexbench.workloads;

/**
 * A workload cannot be built as asked: a spec, trace or workload file that is malformed or out of bounds. The
 * message names the input (the spec text, or the file and line) and says what was expected.
 */
public final class WorkloadException extends IllegalArgumentException {
    public WorkloadException(String message) { super(message); }

    public WorkloadException(String message, Throwable cause) { super(message, cause); }
}
