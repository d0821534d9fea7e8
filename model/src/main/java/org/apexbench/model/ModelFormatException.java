package org.apexbench.model;

/** A model file (config.json, safetensors, index) is missing, malformed or disagrees with the config. */
public final class ModelFormatException extends IllegalArgumentException {
    public ModelFormatException(String message) { super(message); }
    public ModelFormatException(String message, Throwable cause) { super(message, cause); }
}
