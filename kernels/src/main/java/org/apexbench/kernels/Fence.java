package org.apexbench.kernels;

/**
 * "The copies issued so far are done", as the host-attention thread sees it: returned by
 * {@link HostBridge#fenceCopies()}, waited for before the host thread touches the host KV pool.
 */
public interface Fence {
    /** Nothing to wait for (cpu copies are done when they return; no copies issued). */
    Fence NONE = () -> { };

    /** Blocks the calling (host) thread until the fenced copies are done; never synchronises the whole device. */
    void awaitOnHost();
}
