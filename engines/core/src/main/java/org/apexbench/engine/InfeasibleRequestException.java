package org.apexbench.engine;

/**
 * A request that this engine could never serve even alone under the run's budgets. Raised before the
 * run starts (every request is checked upfront), so a run either serves every request to its target
 * length or does not start.
 */
public final class InfeasibleRequestException extends IllegalArgumentException {
    public InfeasibleRequestException(String message) { super(message); }
}
