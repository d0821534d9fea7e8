package org.apexbench.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apexbench.reports.EnvironmentInfo;
import org.apexbench.reports.JsonFiles;
import org.apexbench.reports.ResultFolder;
import picocli.CommandLine.Model.CommandSpec;

/** Where commands put their results: the checked, locked result folder, and environment.json beside the deterministic files. */
final class Outputs {
    private Outputs() {}

    /**
     * The result folder {@code out} of a command, checked and locked before any work starts; with {@code force}
     * a folder of earlier results there is replaced whole once this one is complete.
     */
    static ResultFolder open(Path out, boolean force) {
        return ResultFolder.create(out, "--out", force ? ResultFolder.Existing.REPLACE : ResultFolder.Existing.REFUSE);
    }

    /** A file --out checked before any work: a path, not a folder, whose folder exists or can be made and is writable. */
    static void checkFileOut(Path out, String option) {
        if (out == null || out.toString().isBlank()) throw new IllegalArgumentException(option + ": the path is empty; give a file to write");
        Path file = out.toAbsolutePath().normalize();
        if (Files.isDirectory(file)) throw new IllegalArgumentException(option + " " + out + ": is a folder; give a file");
        Path parent = file.getParent();
        try {
            Files.createDirectories(parent);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(option + " " + out + ": cannot create its folder " + parent + " (" + e + ")", e);
        }
        if (!Files.isWritable(parent)) throw new IllegalArgumentException(option + " " + out + ": cannot write in " + parent);
    }

    /** Writes a profile whole or not at all (a temporary sibling, then one rename). */
    static void saveProfile(org.apexbench.profiler.table.Profile p, Path out) {
        Path tmp = out.toAbsolutePath().resolveSibling("." + out.getFileName() + ".partial");
        p.save(tmp);
        try {
            Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + out, e);
        }
    }

    /** The command line's arguments as given (for the manifest). */
    static List<String> arguments(CommandSpec spec) {
        var parsed = spec.root().commandLine().getParseResult();
        return parsed == null ? List.of() : List.copyOf(parsed.originalArgs());
    }

    /** @param device the device backend's description from a real run (null in sim) */
    static void writeEnvironment(Path dir, EngineRunner.Setup s, String device) {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("backend", s.backend());
        extra.put("hardware_spec", s.hardware().id());
        extra.put("hardware_description", s.hardware().description());
        boolean sim = s.backend().equals("sim");
        boolean cuda = s.backend().equals("cuda");
        extra.put("gpu", sim ? "simulated " + s.hardware().gpu().name() : cuda ? device
                : "none (cpu backend: a CPU worker plays the device)");
        extra.put("driver", cuda ? "see gpu" : "none");
        if (!sim) extra.put("device_backend", device);
        if (!sim) extra.put("threads_per_backend", s.threads());
        extra.put("command_line", System.getProperty("sun.java.command", ""));
        JsonFiles.write(dir.resolve(JsonFiles.ENVIRONMENT), EnvironmentInfo.capture(ApexCli.root(), extra));
    }
}
