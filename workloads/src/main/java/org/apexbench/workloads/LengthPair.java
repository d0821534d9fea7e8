package org.apexbench.workloads;

/** A request's prompt and output lengths in tokens, both >= 1. */
public record LengthPair(int input, int output) {
    public LengthPair {
        if (input < 1 || output < 1) {
            throw new WorkloadException("lengths must be >= 1, got input=" + input + " output=" + output);
        }
    }
}
