package org.apexbench.model.cuda;

import java.nio.file.Path;

/**
 * The command line of the checks scripts/gpu-check.sh runs from the dist without Maven or JUnit
 * ({@link FixtureParity}, the harness's RealEngineCheck): {@code <fixture path> [cuda|cpu]}, cuda unless named,
 * so both read their arguments and refuse bad ones the same way.
 */
public record GpuCheckArgs(Path fixture, String backend) {
    /** Parses {@code args}, or prints {@code usage: <usage> [cuda|cpu]} to stderr and exits 64 (EX_USAGE). */
    public static GpuCheckArgs parse(String[] args, String usage) {
        if (args.length < 1 || args.length > 2) {
            System.err.println("usage: " + usage + " [cuda|cpu]");
            System.exit(64);
        }
        return new GpuCheckArgs(Path.of(args[0]), args.length > 1 ? args[1] : "cuda");
    }
}
