package org.apexbench.workloads;

import java.util.Arrays;
import java.util.Objects;

/**
 * One request of a workload: when it arrives, its prompt, and how many tokens to generate. Outputs
 * run to {@code outputTokens} (EOS ignored), as serving benchmarks do.
 *
 * @param id           unique within the workload
 * @param arrivalSec   arrival time in seconds from the start of the run
 * @param promptTokens prompt token ids (synthetic unless real ones were supplied)
 * @param outputTokens tokens to generate, >= 1
 * @param sampling     sampling parameters
 */
public record RequestSpec(String id, double arrivalSec, int[] promptTokens, int outputTokens, SamplingParams sampling) {
    public RequestSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(promptTokens, "promptTokens");
        Objects.requireNonNull(sampling, "sampling");
        if (!(arrivalSec >= 0) || Double.isInfinite(arrivalSec)) {
            throw new WorkloadException("request " + id + ": arrival time must be a finite value >= 0, got " + arrivalSec);
        }
        if (promptTokens.length == 0) {
            throw new WorkloadException("request " + id + ": prompt must have at least one token");
        }
        if (outputTokens < 1) {
            throw new WorkloadException("request " + id + ": output length must be >= 1, got " + outputTokens);
        }
        promptTokens = promptTokens.clone();
    }

    public int promptLength() { return promptTokens.length; }

    @Override
    public int[] promptTokens() { return promptTokens.clone(); }

    /** Prompt token {@code i} without copying the array. */
    public int promptToken(int i) { return promptTokens[i]; }

    @Override
    public boolean equals(Object o) {
        return o instanceof RequestSpec r && id.equals(r.id) && arrivalSec == r.arrivalSec
                && Arrays.equals(promptTokens, r.promptTokens) && outputTokens == r.outputTokens
                && sampling.equals(r.sampling);
    }

    @Override
    public int hashCode() { return Objects.hash(id, arrivalSec, Arrays.hashCode(promptTokens), outputTokens, sampling); }

    @Override
    public String toString() {
        return "RequestSpec[" + id + ", arrival=" + arrivalSec + "s, prompt=" + promptTokens.length + ", output="
                + outputTokens + ", " + sampling + "]";
    }
}
