package org.apexbench.workloads;

/**
 * How a request picks its tokens. {@code temperature == 0} is greedy. {@code seed} drives the
 * request's own uniform stream, so a request samples the same tokens whatever it is batched with.
 */
public record SamplingParams(float temperature, float topP, long seed) {
    public static final SamplingParams GREEDY = new SamplingParams(0f, 1f, 0L);

    public SamplingParams {
        if (!(temperature >= 0f) || Float.isInfinite(temperature) || !(topP > 0f && topP <= 1f)) {
            throw new WorkloadException("sampling: temperature must be finite and >= 0 and top_p in (0, 1], got temperature="
                    + temperature + " top_p=" + topP);
        }
    }

    public boolean greedy() { return temperature == 0f; }
}
