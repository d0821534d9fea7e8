package org.apexbench.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.workloads.SamplingParams;

/**
 * Drives the per-layer units the way a hybrid engine does: pre and post for the whole batch on the
 * "device" backend, attention of the sequences whose KV is in the host pool on a second backend on
 * another thread, at the same time as the device-pool attention. Tokens must equal the reference.
 */
class HybridAttentionTest {

    /**
     * @param interleaved rows alternate between the pools (several kvAppend runs and one-row decode runs
     *                    per pool) instead of each pool's rows being contiguous
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void hostPoolAttentionOnAnotherThreadAndBackendGivesReferenceTokens(boolean interleaved) throws Exception {
        Fixture f = Fixture.load("tiny-llama3");
        int n = f.cases().size();
        int newTokens = 24;
        try (Backend device = Backends.open("cpu", 1);
             Backend host = Backends.open("cpu", 1);
             LlamaModel model = new LlamaModel(LlamaWeights.load(f.dir(), device), device)) {
            ExecutorService hostThread = Executors.newSingleThreadExecutor();
            ModelConfig c = model.config();
            int blocksEach = (200 + newTokens + KvGeometry.BLOCK_SIZE - 1) / KvGeometry.BLOCK_SIZE;
            KvPool gpuPool = model.allocatePool(blocksEach * n, DType.F32);
            KvGeometry g = c.kvGeometry(blocksEach * n, DType.F32);
            KvPool hostPool = new KvPool(g, host.allocate(g.bufferBytes()), host.allocate(g.bufferBytes()));
            int[][] tables = new int[n][blocksEach];
            for (int i = 0; i < n; i++) {
                for (int b = 0; b < blocksEach; b++) tables[i][b] = i * blocksEach + b;
            }
            int totalPrompt = f.prompts().stream().mapToInt(p -> p.length).sum();
            int[][] out = new int[n][newTokens];
            SamplingParams[] greedy = new SamplingParams[n];
            java.util.Arrays.fill(greedy, SamplingParams.GREEDY);
            try (ForwardBatch batch = model.newBatch(totalPrompt, n, List.of(gpuPool, hostPool))) {
                int[] seqOfCase = new int[n];
                int[] sampled = new int[n];
                for (int step = 0; step < newTokens; step++) {
                    batch.clear();
                    // Even cases in the GPU pool, odd ones in the host pool; contiguous: all even cases first.
                    int pos = 0;
                    for (int k = 0; k < n; k++) {
                        int i = interleaved ? k : (k < (n + 1) / 2 ? 2 * k : 2 * (k - (n + 1) / 2) + 1);
                        int pool = i % 2;
                        {
                            int[] prompt = f.cases().get(i).prompt();
                            seqOfCase[i] = step == 0
                                    ? batch.add("case " + i, prompt, 0, prompt.length, 0, tables[i], pool)
                                    : batch.add("case " + i, out[i], step - 1, 1, prompt.length + step - 1, tables[i], pool);
                            pos++;
                        }
                    }
                    assertEquals(n, pos);
                    AttentionSubset onDevice = batch.poolSubset(0);
                    AttentionSubset onHost = batch.poolSubset(1);
                    if (step > 0) {
                        assertEquals(interleaved ? 2 : 1, onHost.decodeRuns().size(), "decode runs of the host pool");
                    }
                    model.embed(batch);
                    for (int layer = 0; layer < c.layers(); layer++) {
                        model.pre(layer, batch);
                        int l = layer;
                        Future<?> hostAttention = hostThread.submit(() -> model.attention(host, l, onHost, hostPool,
                                batch.queries(), batch.attentionOutput()));
                        model.attention(layer, onDevice);
                        hostAttention.get();
                        model.post(layer, batch);
                    }
                    model.logits(batch);
                    model.sample(batch, greedy, new int[n], sampled);
                    for (int i = 0; i < n; i++) out[i][step] = sampled[seqOfCase[i]];
                }
            } finally {
                hostThread.shutdownNow();
            }
            for (int i = 0; i < n; i++) {
                assertArrayEquals(f.cases().get(i).greedy(), out[i], "case " + i + " (pool " + (i % 2) + ")");
            }
        }
    }
}
