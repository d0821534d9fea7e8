package org.apexbench.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import org.apexbench.kernels.DType;
import org.apexbench.kernels.KvGeometry;
import org.apexbench.kernels.KvPool;
import org.apexbench.workloads.SamplingParams;

/**
 * Incremental generation for a list of prompts through the paged KV cache, with a trivial block
 * allocator (each prompt gets the blocks its whole generation needs up front). Used by tests and by
 * {@code ./apex generate}; engines schedule {@link LlamaModel} themselves.
 *
 * <p>Every step batches, for each unfinished prompt, either its next prefill chunk (at most
 * {@link Options#prefillChunk()} tokens) or its one decode token, so with chunks shorter than the
 * prompts a step mixes prefill chunks and decodes. Prompt i's KV lives in pool {@code i % pools}
 * (pool 1 stands in for the host pool of hybrid engines).
 */
public final class Generator {

    /**
     * @param kvType       element type of the KV cache (F32 for exact comparisons)
     * @param prefillChunk most prompt tokens a prompt feeds per step
     * @param pools        KV pools to spread prompts over (1 = all in one pool)
     */
    public record Options(DType kvType, int prefillChunk, int pools) {
        public Options {
            if (prefillChunk <= 0 || pools <= 0) {
                throw new IllegalArgumentException("generator: prefillChunk and pools must be positive, got "
                        + prefillChunk + ", " + pools);
            }
        }

        /** Whole prompts in one step, one pool, KV of the given type. */
        public static Options of(DType kvType) { return new Options(kvType, Integer.MAX_VALUE, 1); }

        public Options withPrefillChunk(int chunk) { return new Options(kvType, chunk, pools); }

        public Options withPools(int n) { return new Options(kvType, prefillChunk, n); }
    }

    private final LlamaModel model;
    private final Options options;
    private ForwardBatch batch;
    private List<KvPool> pools = List.of();

    public Generator(LlamaModel model, Options options) {
        this.model = model;
        this.options = options;
    }

    /** Generates {@code maxNewTokens} tokens for each prompt, every prompt with {@code params}. */
    public List<int[]> generate(List<int[]> prompts, int maxNewTokens, SamplingParams params) {
        return generate(prompts, maxNewTokens, Collections.nCopies(prompts.size(), params));
    }

    /**
     * Generates {@code maxNewTokens} tokens for each prompt (no stop token); prompt i samples with
     * {@code params.get(i)}. Returns the new tokens of each prompt, in prompt order.
     */
    public List<int[]> generate(List<int[]> prompts, int maxNewTokens, List<SamplingParams> params) {
        int n = prompts.size();
        if (params.size() != n) {
            throw new IllegalArgumentException("generate: " + n + " prompts but " + params.size() + " sampling params");
        }
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("generate: maxNewTokens must be >= 0, got " + maxNewTokens);
        }
        int[][] out = new int[n][maxNewTokens];
        if (n == 0 || maxNewTokens == 0) {
            for (int i = 0; i < n; i++) validate(i, prompts.get(i), 0);
            return Arrays.asList(out);
        }
        int[][] tables = new int[n][];
        int[] blocksPerPool = new int[options.pools()];
        int maxTokens = 0;
        for (int i = 0; i < n; i++) {
            int[] prompt = prompts.get(i);
            validate(i, prompt, maxNewTokens);
            // The last generated token is never fed back, so positions 0 .. len + maxNew - 2 need KV.
            int positions = prompt.length + maxNewTokens - 1;
            int blocks = (positions + KvGeometry.BLOCK_SIZE - 1) / KvGeometry.BLOCK_SIZE;
            int pool = i % options.pools();
            tables[i] = new int[blocks];
            for (int b = 0; b < blocks; b++) tables[i][b] = blocksPerPool[pool]++;
            maxTokens += Math.min(options.prefillChunk(), prompt.length);
        }
        ForwardBatch b = batchFor(Math.max(maxTokens, n), n, blocksPerPool);

        int[] fed = new int[n];
        int[] produced = new int[n];
        int[] promptOf = new int[n];
        int[] steps = new int[n];
        SamplingParams[] stepParams = new SamplingParams[n];
        int[] sampled = new int[n];
        int unfinished = n;
        while (unfinished > 0) {
            b.clear();
            for (int pool = 0; pool < options.pools(); pool++) {
                for (int i = pool; i < n; i += options.pools()) {
                    if (produced[i] == maxNewTokens) continue;
                    int[] prompt = prompts.get(i);
                    int s;
                    if (fed[i] < prompt.length) {
                        int count = Math.min(options.prefillChunk(), prompt.length - fed[i]);
                        s = b.add("prompt " + i, prompt, fed[i], count, fed[i], tables[i], pool);
                    } else {
                        s = b.add("prompt " + i, out[i], produced[i] - 1, 1, fed[i], tables[i], pool);
                    }
                    promptOf[s] = i;
                    stepParams[s] = params.get(i);
                    steps[s] = produced[i];
                }
            }
            model.forward(b);
            model.sample(b, stepParams, steps, sampled);
            for (int s = 0; s < b.sequences(); s++) {
                int i = promptOf[s];
                fed[i] += b.rowCount(s);
                if (fed[i] >= prompts.get(i).length) {
                    out[i][produced[i]++] = sampled[s];
                    if (produced[i] == maxNewTokens) unfinished--;
                }
            }
        }
        return Arrays.asList(out);
    }

    /** Logits at every prompt position, {@code [prompt.length][vocab]}, fed in chunks of the options. */
    public float[][] prefillLogits(int[] prompt) {
        validate(0, prompt, 1);
        int blocks = (prompt.length + KvGeometry.BLOCK_SIZE - 1) / KvGeometry.BLOCK_SIZE;
        int[] table = new int[blocks];
        for (int i = 0; i < blocks; i++) table[i] = i;
        int[] perPool = new int[options.pools()];
        Arrays.fill(perPool, blocks);
        int chunk = Math.min(options.prefillChunk(), prompt.length);
        ForwardBatch b = batchFor(chunk, 1, perPool);
        // The prompt lives in the last pool, so with 2 pools this exercises the "host" pool.
        int pool = options.pools() - 1;
        List<float[]> rows = new ArrayList<>();
        for (int fed = 0; fed < prompt.length; fed += chunk) {
            int count = Math.min(chunk, prompt.length - fed);
            b.clear();
            int s = b.add("prompt 0", prompt, fed, count, fed, table, pool);
            model.runLayers(b);
            model.requireFinite(b);
            rows.addAll(Arrays.asList(model.allLogits(b, s)));
        }
        return rows.toArray(float[][]::new);
    }

    private void validate(int index, int[] prompt, int maxNewTokens) {
        ModelConfig c = model.config();
        if (prompt.length == 0) {
            throw new IllegalArgumentException("prompt " + index + " is empty");
        }
        if (prompt.length > c.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("prompt " + index + " has " + prompt.length + " tokens, longer than the "
                    + "model's context of " + c.maxPositionEmbeddings() + " (max_position_embeddings)");
        }
        if ((long) prompt.length + maxNewTokens - 1 > c.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("prompt " + index + ": " + prompt.length + " prompt tokens + " + maxNewTokens
                    + " new tokens exceed the model's context of " + c.maxPositionEmbeddings() + " (max_position_embeddings)");
        }
        for (int p = 0; p < prompt.length; p++) {
            if (prompt[p] < 0 || prompt[p] >= c.vocabSize()) {
                throw new IllegalArgumentException("prompt " + index + ": token id " + prompt[p] + " at position " + p
                        + " is outside the vocabulary [0, " + c.vocabSize() + ")");
            }
        }
    }

    /** Reuses the batch and pools of earlier calls when they are big enough (the SPI has no free). */
    private ForwardBatch batchFor(int maxTokens, int maxSequences, int[] blocksPerPool) {
        boolean poolsFit = pools.size() == blocksPerPool.length;
        for (int p = 0; poolsFit && p < blocksPerPool.length; p++) {
            poolsFit = pools.get(p).geometry().blocks() >= blocksPerPool[p];
        }
        if (!poolsFit) {
            List<KvPool> fresh = new ArrayList<>();
            for (int p = 0; p < blocksPerPool.length; p++) {
                int have = p < pools.size() ? pools.get(p).geometry().blocks() : 0;
                fresh.add(model.allocatePool(Math.max(1, Math.max(have, blocksPerPool[p])), options.kvType()));
            }
            pools = fresh;
        }
        if (!poolsFit || batch == null || batch.maxTokens() < maxTokens || batch.maxSequences() < maxSequences) {
            if (batch != null) batch.close();
            int tokens = batch == null ? maxTokens : Math.max(maxTokens, batch.maxTokens());
            int seqs = batch == null ? maxSequences : Math.max(maxSequences, batch.maxSequences());
            batch = model.newBatch(tokens, Math.min(seqs, tokens), pools);
        }
        return batch;
    }
}
