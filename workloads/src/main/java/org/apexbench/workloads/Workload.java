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
    public Workload {
        requests = List.copyOf(requests);
        for (int i = 1; i < requests.size(); i++) {
            if (requests.get(i).arrivalSec() < requests.get(i - 1).arrivalSec()) {
                throw new IllegalArgumentException("workload: requests must be sorted by arrival; request "
                        + requests.get(i).id() + " arrives before " + requests.get(i - 1).id());
            }
        }
        if (closedLoopConcurrency < 0) {
            throw new IllegalArgumentException("workload: closedLoopConcurrency must be >= 0");
        }
    }

    public boolean closedLoop() { return closedLoopConcurrency > 0; }
}
