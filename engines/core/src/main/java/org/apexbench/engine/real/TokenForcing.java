package org.apexbench.engine.real;

/**
 * Which token a real run commits as a request's next output: the one the model produced, or, for a check that
 * compares a run with a reference, the reference's own token (teacher forcing). Forced, the request continues on
 * the reference's context, so a check can compare every later position instead of stopping at the first
 * divergence; it records the model's token as what it compares. Called on the executor's device thread, once per
 * output position of every request (a request preempted by recompute re-prefills its committed tokens and is not
 * asked again for them).
 */
@FunctionalInterface
public interface TokenForcing {
    /** Commits what the model produced: every ordinary run. */
    TokenForcing NONE = (request, step, produced) -> produced;

    /**
     * The token to commit as output {@code step} (0-based) of request {@code request}, given the one the model
     * {@code produced} there (argmax, or the request's seeded sample).
     */
    int commit(String request, int step, int produced);
}
