package org.apexbench.profiler;

/**
 * The shape of one subtask, which is all a cost model or profile table sees. Which fields matter
 * depends on the op (unused ones are 0):
 * <ul>
 * <li>{@code PRE}, {@code POST}, {@code EMBED}, {@code LM_HEAD}: {@code rows} = tokens through the
 *     linear layers (for LM_HEAD: rows that need logits, usually one per sequence).</li>
 * <li>{@code PREFILL_ATTN}: {@code rows} = new (query) tokens, {@code requests} = sequences (chunks),
 *     {@code prefillPairs} = attended (query, key) pairs summed over sequences: a chunk of c new
 *     tokens after p cached ones attends c*p + c*(c+1)/2 pairs (see {@link #prefillPairs(long, long)});
 *     {@code contextTokens} = the cached tokens before the chunks, summed (0 when every chunk starts its
 *     prompt; the cost model needs it only when several chunks with cached prefixes share a call).</li>
 * <li>{@code GPU_DECODE_ATTN}, {@code CPU_DECODE_ATTN}: {@code requests} = decode rows,
 *     {@code contextTokens} = their attended context summed (each request's length including the new token).</li>
 * <li>Copies ({@code QKV_D2H}, {@code ATTN_OUT_H2D}, {@code SWAP_IN}, {@code SWAP_OUT}): {@code bytes}
 *     moved and {@code requests} = separate transfers (at least one is charged).</li>
 * <li>{@code LAUNCH}: {@code rows} = kernel launches.</li>
 * </ul>
 * Times for {@code PRE}, {@code POST} and the attention ops are per layer; the others are whole.
 */
public record SubtaskFeatures(int rows, int requests, long contextTokens, long prefillPairs, long bytes) {
    public static final SubtaskFeatures NONE = new SubtaskFeatures(0, 0, 0, 0, 0);

    public SubtaskFeatures {
        if (rows < 0 || requests < 0 || contextTokens < 0 || prefillPairs < 0 || bytes < 0) {
            throw new IllegalArgumentException("subtask features must be >= 0, got rows=" + rows + " requests="
                    + requests + " contextTokens=" + contextTokens + " prefillPairs=" + prefillPairs + " bytes=" + bytes);
        }
    }

    /** A linear subtask (PRE, POST, EMBED, LM_HEAD) over {@code rows} tokens. */
    public static SubtaskFeatures linear(int rows) { return new SubtaskFeatures(rows, 0, 0, 0, 0); }

    /** Decode attention of {@code requests} rows over {@code contextTokens} total context. */
    public static SubtaskFeatures decode(int requests, long contextTokens) {
        return new SubtaskFeatures(0, requests, contextTokens, 0, 0);
    }

    /** Prefill attention of one whole prompt of {@code length} tokens. */
    public static SubtaskFeatures prefill(int length) {
        return new SubtaskFeatures(length, 1, 0, prefillPairs(0, length), 0);
    }

    /** Prefill attention of one chunk of {@code chunk} new tokens after {@code cached} cached ones. */
    public static SubtaskFeatures prefillChunk(int chunk, long cached) {
        return new SubtaskFeatures(chunk, 1, cached, prefillPairs(cached, chunk), 0);
    }

    /** Prefill attention of several sequences: new tokens, sequences and summed attended pairs. */
    public static SubtaskFeatures prefill(int newTokens, int sequences, long pairs) {
        return new SubtaskFeatures(newTokens, sequences, 0, pairs, 0);
    }

    /** A copy of {@code bytes} in {@code transfers} separate transfers. */
    public static SubtaskFeatures copy(long bytes, int transfers) { return new SubtaskFeatures(0, transfers, 0, 0, bytes); }

    /** {@code launches} kernel launches on the host launch thread. */
    public static SubtaskFeatures launches(int launches) { return new SubtaskFeatures(launches, 0, 0, 0, 0); }

    /** Causal pairs attended by a chunk of {@code chunk} new tokens after {@code cached} cached ones. */
    public static long prefillPairs(long cached, long chunk) { return chunk * cached + chunk * (chunk + 1) / 2; }
}
