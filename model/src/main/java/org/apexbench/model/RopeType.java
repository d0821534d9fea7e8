package org.apexbench.model;

/** The rope_type values we implement; config.json spells them "default" and "llama3". */
public enum RopeType {
    DEFAULT("default"), LLAMA3("llama3");

    private final String configName;

    RopeType(String configName) { this.configName = configName; }

    public String configName() { return configName; }
}
