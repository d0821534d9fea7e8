package org.apexbench.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.KvPool;
import org.apexbench.workloads.SamplingParams;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelInputErrorsTest {
    private Backend backend;
    private LlamaModel model;

    @BeforeAll
    void open() {
        backend = Backends.open("cpu", 1);
        // tiny-llama2 geometry: vocab 512, context 512.
        model = new LlamaModel(LlamaWeights.synthetic(ModelPresets.config("tiny-llama2"), DType.BF16, 7, backend), backend);
    }

    @AfterAll
    void close() {
        model.close();
        backend.close();
    }

    private String generateError(List<int[]> prompts, int maxNew) {
        Generator g = new Generator(model, Generator.Options.of(DType.F32));
        return assertThrows(IllegalArgumentException.class, () -> g.generate(prompts, maxNew, SamplingParams.GREEDY))
                .getMessage();
    }

    @Test
    void promptLongerThanTheContextNamesThePrompt() {
        String msg = generateError(List.of(new int[] {1, 2}, new int[513]), 1);
        assertTrue(msg.contains("prompt 1") && msg.contains("513 tokens") && msg.contains("512"), msg);
        String tooMany = generateError(List.of(new int[500]), 20);
        assertTrue(tooMany.contains("prompt 0") && tooMany.contains("20 new tokens") && tooMany.contains("512"), tooMany);
    }

    @Test
    void tokenOutsideTheVocabularyNamesPromptAndPosition() {
        String msg = generateError(List.of(new int[] {1}, new int[] {1}, new int[] {4, 5, 512}), 3);
        assertTrue(msg.contains("prompt 2") && msg.contains("token id 512") && msg.contains("position 2")
                && msg.contains("[0, 512)"), msg);
        String negative = generateError(List.of(new int[] {-1}), 3);
        assertTrue(negative.contains("prompt 0") && negative.contains("token id -1"), negative);
    }

    @Test
    void emptyPromptIsNamed() {
        String msg = generateError(List.of(new int[] {3}, new int[0]), 2);
        assertTrue(msg.contains("prompt 1 is empty"), msg);
    }

    @Test
    void batchRejectsBadSequencesNamingTheRequest() {
        KvPool pool = model.allocatePool(4, DType.F16);
        try (ForwardBatch b = model.newBatch(32, 4, List.of(pool))) {
            int[] table = {0, 1};
            String beyond = assertThrows(IllegalArgumentException.class,
                    () -> b.add("request 9", new int[] {1, 2}, 0, 2, 511, new int[32], 0)).getMessage();
            assertTrue(beyond.contains("request 9") && beyond.contains("context of 512"), beyond);
            String vocab = assertThrows(IllegalArgumentException.class,
                    () -> b.add("request 3", new int[] {1, 600}, 0, 2, 0, table, 0)).getMessage();
            assertTrue(vocab.contains("request 3") && vocab.contains("token id 600"), vocab);
            String blocks = assertThrows(IllegalArgumentException.class,
                    () -> b.add("request 4", new int[20], 0, 20, 20, table, 0)).getMessage();
            assertTrue(blocks.contains("request 4") && blocks.contains("block table has 2 blocks"), blocks);
            String outside = assertThrows(IllegalArgumentException.class,
                    () -> b.add("request 5", new int[1], 0, 1, 0, new int[] {4}, 0)).getMessage();
            assertTrue(outside.contains("request 5") && outside.contains("outside KV pool 0"), outside);
            String noPool = assertThrows(IllegalArgumentException.class,
                    () -> b.add("request 6", new int[1], 0, 1, 0, table, 1)).getMessage();
            assertTrue(noPool.contains("request 6") && noPool.contains("KV pool 1 does not exist"), noPool);
            String full = assertThrows(IllegalStateException.class,
                    () -> b.add("request 7", new int[33], 0, 33, 0, new int[] {0, 1, 2}, 0)).getMessage();
            assertTrue(full.contains("request 7") && full.contains("batch is full"), full);
        }
    }

    @Test
    void emptyBatchIsAnError() {
        try (ForwardBatch b = model.newBatch(4, 2, List.of(model.allocatePool(1, DType.F32)))) {
            String msg = assertThrows(IllegalStateException.class, () -> model.forward(b)).getMessage();
            assertTrue(msg.contains("empty batch"), msg);
        }
    }

    @Test
    void subsetMustStayInOnePool() {
        KvPool gpu = model.allocatePool(2, DType.F16);
        KvPool host = model.allocatePool(2, DType.F16);
        try (ForwardBatch b = model.newBatch(8, 4, List.of(gpu, host))) {
            b.add("request 0", new int[] {1}, 0, 1, 0, new int[] {0}, 0);
            b.add("request 1", new int[] {1}, 0, 1, 0, new int[] {0}, 1);
            String msg = assertThrows(IllegalArgumentException.class, () -> b.subset(0, 1)).getMessage();
            assertTrue(msg.contains("mixes KV pools") && msg.contains("request 1"), msg);
        }
    }
}
