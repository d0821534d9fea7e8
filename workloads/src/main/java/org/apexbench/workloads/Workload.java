package org.apexbench.workloads;

import java.util.List;

/**
 * A generated workload: requests sorted by arrival (ties keep generation order), plus how the
 * engine loop must admit them.
 *
 * @param requests              the requests, sorted by arrival time
 * @param closedLoopConcurrency 0 for open loop (admit each request at its arrival time); N &gt; 0
 *                              for a closed loop of N clients: all arrivals are 0, the engine keeps
 *                              at most N requests in the system and admits the next in list order
 *                              when one finishes, recording that moment as its arrival
 * @param description           what was generated, for reports (distribution, arrivals, filters)
 */
public record Workload(List<RequestSpec> requests, int closedLoopConcurrency, String description) {
    /** Most requests one workload may have (counts above this are typos: 10^7 requests take hours even in sim). */
    public static final int MAX_REQUESTS = 10_000_000;
    /**
     * Latest arrival time a workload may have, in seconds (about 115 days): a run's clock is a double, whose spacing at
     * 1e7 s is 2 ns; far beyond it (a rate of 1e-300 req/s, a trace time of 1e308) token times collapse onto each other
     * and every latency becomes 0.
     */
    public static final double MAX_ARRIVAL_SEC = 1e7;
    /** The memory estimate of {@link #bytesNeeded}, in words, for messages. */
    public static final String MEMORY_MODEL = "about 1 KB per request, 4 bytes per prompt token and 16 per output token";

    /**
     * Heap a run needs for {@code requests} requests of these token totals: their prompt ids and the per-token times of
     * their records (what a workload itself makes certain; iteration records come on top and depend on batching).
     */
    public static long bytesNeeded(long requests, long promptTokens, long outputTokens) {
        return requests * 1024 + promptTokens * 4 + outputTokens * 16;
    }

    /** Bytes as "1.5 GB". */
    public static String gb(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f GB", bytes / 1e9);
    }

    public Workload {
        requests = List.copyOf(requests);
        if (requests.size() > MAX_REQUESTS) {
            throw new WorkloadException("workload: " + requests.size() + " requests, more than the " + MAX_REQUESTS + " a workload may have");
        }
        for (int i = 0; i < requests.size(); i++) {
            if (requests.get(i).arrivalSec() > MAX_ARRIVAL_SEC) {
                throw new WorkloadException("workload: request " + requests.get(i).id() + " arrives at " + requests.get(i).arrivalSec()
                        + " s, beyond the " + MAX_ARRIVAL_SEC + " s (about 115 days) a run's clock resolves to the nanosecond");
            }
        }
        for (int i = 1; i < requests.size(); i++) {
            if (requests.get(i).arrivalSec() < requests.get(i - 1).arrivalSec()) {
                throw new WorkloadException("workload: requests must be sorted by arrival; request "
                        + requests.get(i).id() + " arrives before " + requests.get(i - 1).id());
            }
        }
        if (closedLoopConcurrency < 0) {
            throw new WorkloadException("workload: closedLoopConcurrency must be >= 0");
        }
    }

    public boolean closedLoop() { return closedLoopConcurrency > 0; }
}
