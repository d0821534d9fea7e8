package org.apexbench.model;

/**
 * A forward pass produced NaN or infinite activations (broken weights, or values that overflow): continuing would
 * sample garbage tokens (argmax of NaN logits is token 0). The message names the request and where it first happened.
 */
public final class NonFiniteActivationException extends IllegalStateException {
    public NonFiniteActivationException(String message) { super(message); }
}
