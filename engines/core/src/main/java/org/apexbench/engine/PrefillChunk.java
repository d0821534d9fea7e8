package org.apexbench.engine;

/**
 * Part of a request's not-yet-cached context processed this iteration on the GPU.
 *
 * @param request the request
 * @param start   first token position (= its cached tokens when planned)
 * @param length  tokens processed
 * @param pool    where the chunk's KV goes: the request's pool, or for a request without KV the pool it is
 *                admitted to (HOST = NEO's CPU prefill: prefill on the GPU, KV streamed to the host per layer)
 */
public record PrefillChunk(RequestState request, int start, int length, Location pool) {
    public PrefillChunk {
        if (length < 1 || start < 0 || pool == Location.NONE) {
            throw new IllegalArgumentException("prefill chunk of " + request.id() + ": length >= 1, start >= 0 and a pool required");
        }
    }

    /** A chunk continuing from the request's cached tokens. */
    public static PrefillChunk of(RequestState r, int length, Location pool) {
        return new PrefillChunk(r, r.kvTokens(), length, pool);
    }

    /** Whether the chunk reaches the end of the known context, so a token is sampled. */
    public boolean completes() { return start + length == request.contextLength(); }

    /** Causal (query, key) pairs the chunk attends. */
    public long attendedPairs() { return (long) length * start + (long) length * (length + 1) / 2; }
}
