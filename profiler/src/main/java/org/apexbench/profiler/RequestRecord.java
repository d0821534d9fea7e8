package org.apexbench.profiler;

import java.util.Arrays;

/**
 * One request's life. Times are seconds since the run's start.
 *
 * @param id             request id
 * @param arrivalSec     arrival time
 * @param promptTokens   prompt length
 * @param targetOutputTokens output length asked for
 * @param tokenTimesSec  time each output token was produced (first = TTFT reference); length = tokens produced
 * @param preemptions    how often it was preempted (swap or recompute)
 * @param cpuDecodeSteps decode steps whose attention ran on the CPU
 * @param failureReason  null when it finished, else why it failed
 */
public record RequestRecord(String id, double arrivalSec, int promptTokens, int targetOutputTokens,
                            double[] tokenTimesSec, int preemptions, int cpuDecodeSteps, String failureReason) {
    /** How the failure reason of a request its engine could never serve, even alone, begins (rejected on arrival). */
    public static final String REJECTED = "rejected, never servable: ";

    public RequestRecord {
        tokenTimesSec = tokenTimesSec.clone();
    }

    public boolean succeeded() { return failureReason == null && tokenTimesSec.length == targetOutputTokens; }

    /** Whether its engine rejected it on arrival as one it could never serve ({@link #REJECTED}). */
    public boolean rejected() { return failureReason != null && failureReason.startsWith(REJECTED); }

    public int outputTokens() { return tokenTimesSec.length; }

    @Override
    public double[] tokenTimesSec() { return tokenTimesSec.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof RequestRecord r && id.equals(r.id) && arrivalSec == r.arrivalSec
                && promptTokens == r.promptTokens && targetOutputTokens == r.targetOutputTokens
                && Arrays.equals(tokenTimesSec, r.tokenTimesSec) && preemptions == r.preemptions
                && cpuDecodeSteps == r.cpuDecodeSteps && java.util.Objects.equals(failureReason, r.failureReason);
    }

    @Override
    public int hashCode() { return id.hashCode() * 31 + Arrays.hashCode(tokenTimesSec); }

    @Override
    public String toString() {
        return "RequestRecord[" + id + ", arrival=" + arrivalSec + ", prompt=" + promptTokens + ", out="
                + tokenTimesSec.length + "/" + targetOutputTokens + ", failure=" + failureReason + "]";
    }
}
