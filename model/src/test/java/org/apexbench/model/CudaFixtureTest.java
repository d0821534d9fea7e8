package org.apexbench.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.apexbench.kernels.Backend;
import org.apexbench.kernels.BackendUnavailableException;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.workloads.SamplingParams;

/**
 * The fixtures on the cuda backend (fp16 activations, fp16 KV), where a GPU is present; skipped
 * visibly elsewhere. Tolerance: logits within 5e-2 (every op's output is rounded to fp16, relative
 * 2^-11, over 3-4 layers and a 128-wide LM head; our estimate, not yet measured on a GPU), the first
 * greedy token wherever the reference margin exceeds twice that, and the same tokens whether a
 * prompt runs alone or batched with the others.
 */
class CudaFixtureTest {
    static final float CUDA_TOLERANCE = 5e-2f;

    private static Backend openCudaOrSkip() {
        // Backends.open says why cuda cannot run here (no driver, no device, no PTX); we skip with that reason.
        try {
            return Backends.open("cuda", 0);
        } catch (BackendUnavailableException e) {
            assumeTrue(false, "cuda model tests skipped: " + e.getMessage());
            throw e;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama2", "tiny-llama3"})
    void fixturesOnCuda(String name) {
        try (Backend cuda = openCudaOrSkip()) {
            Fixture f = Fixture.load(name);
            try (LlamaModel m = new LlamaModel(LlamaWeights.load(f.dir(), cuda), cuda)) {
                Generator g = new Generator(m, Generator.Options.of(DType.F16).withPrefillChunk(16));
                List<int[]> batched = g.generate(f.prompts(), 24, SamplingParams.GREEDY);
                for (int i = 0; i < f.cases().size(); i++) {
                    Fixture.Case c = f.cases().get(i);
                    float[][] logits = g.prefillLogits(c.prompt());
                    float err = Fixture.maxAbsDiff(logits, c.prefillLogits());
                    assertTrue(err <= CUDA_TOLERANCE, name + " " + c.name() + " on cuda: max abs logit error " + err);
                    int[] alone = g.generate(List.of(c.prompt()), 24, SamplingParams.GREEDY).getFirst();
                    assertTrue(java.util.Arrays.equals(alone, batched.get(i)), name + " " + c.name()
                            + ": batched and alone differ on cuda");
                    float[] last = c.prefillLogits()[c.prompt().length - 1];
                    float[] sorted = last.clone();
                    java.util.Arrays.sort(sorted);
                    if (sorted[sorted.length - 1] - sorted[sorted.length - 2] > 2 * CUDA_TOLERANCE) {
                        assertEquals(c.greedy()[0], alone[0], name + " " + c.name() + ": first token on cuda");
                    }
                }
            }
        }
    }
}
