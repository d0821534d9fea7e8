package org.apexbench.engine;

/** Where a request's KV cache lives. Invariant (NEO; docs/architecture.md#kv-cache): wholly in one pool, or nowhere. */
public enum Location {
    /** No KV held: waiting, preempted by recompute, or finished. */
    NONE,
    GPU,
    HOST
}
