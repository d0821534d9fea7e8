package org.apexbench.engine.apex;

/**
 * The joint-feasibility test of the must-run set to come (docs/engines.md#apex): a host candidate may wait only while
 * the step that runs it together with every candidate whose slack runs out before its own (the slack-ordered prefix
 * that ends with it) still meets the TPOT objective S. A candidate that waits reaches zero slack after the ones ahead
 * of it, and a request at zero slack runs every iteration from then on, so when its own slack runs out they all must
 * run in one step; if that step cannot meet S, every one of them ends late together (issue 14's T4 {@code cot} cell: six
 * long host requests turned must-run at one decision and each of the next 243 decisions was an overload). Such a
 * candidate and those ahead of it must run now, while they can: the longest prefix whose step meets S runs this
 * iteration (the candidate that first breaks S cannot run within it, and running it anyway is the overload the rule
 * exists to avoid).
 *
 * <p>Read from the dispatcher's own pass over the prefixes ({@link Dispatch#add(long, boolean)}), one call per
 * candidate, O(1): the prefix's step is the lower of its Asynchronous Overlap and prefix-split Asymmetric Pipelining
 * predictions, since either is a plan the dispatcher can run (NEO's packed split may skip candidates, so it is no
 * prefix's step). The test fires once per decision, at the first prefix that no such plan fits within S.
 */
final class JointFeasibility {
    private boolean fired;

    /** Starts a decision. */
    void begin() { fired = false; }

    /**
     * The prefix of the first {@code k} candidates steps in {@code stepSec} at best (AO or AP): returns how many
     * candidates must run now, at least {@code mustRun}, the candidates already at zero slack; more once the first
     * prefix over {@code slo} is seen, its first k - 1.
     */
    int mustRun(int k, double stepSec, double slo, int mustRun) {
        if (fired || !(stepSec > slo)) return mustRun;
        fired = true;
        return Math.max(mustRun, k - 1);
    }

    boolean fired() { return fired; }

    /** For a trial add that may be undone ({@link Dispatch#save()}). */
    void set(boolean fired) { this.fired = fired; }
}
