package org.apexbench.reports;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * What machine and build produced a run (goes to environment.json, never to the deterministic files): CPU
 * model from /proc/cpuinfo, cores, JDK, full JVM command line flags, OS, git commit, host, time, plus what
 * the caller adds (backend, GPU name and driver, hardware spec id).
 */
public final class EnvironmentInfo {
    /** System property naming the build's commit, set by the distribution's launcher (docs/distribution.md). */
    public static final String COMMIT_PROPERTY = "apex.gitCommit";

    private EnvironmentInfo() {}

    public static Map<String, Object> capture(Path repositoryRoot, Map<String, ?> extra) {
        Map<String, Object> env = new TreeMap<>();
        env.put("cpu_model", cpuModel());
        env.put("available_processors", Runtime.getRuntime().availableProcessors());
        env.put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.vm.name") + " "
                + System.getProperty("java.runtime.version"));
        env.put("jvm_flags", ManagementFactory.getRuntimeMXBean().getInputArguments());
        env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        env.put("max_heap_bytes", Runtime.getRuntime().maxMemory());
        env.put("git_commit", gitCommit(repositoryRoot));
        env.put("host", hostName());
        env.put("timestamp", Instant.now().toString());
        env.putAll(extra);
        return env;
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).trim();
            }
        } catch (IOException | RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
        return "unknown (no 'model name' in /proc/cpuinfo)";
    }

    /**
     * The commit the running build came from, which a distribution's bin/apex passes in ({@value #COMMIT_PROPERTY}:
     * there is no repository beside it); elsewhere {@code git rev-parse HEAD} in the repository, "unknown" when
     * git or the repository is absent.
     */
    static String gitCommit(Path root) {
        String recorded = System.getProperty(COMMIT_PROPERTY);
        if (recorded != null && !recorded.isBlank()) return recorded;
        if (root == null) return "unknown";
        try {
            Process p = new ProcessBuilder("git", "-C", root.toString(), "rev-parse", "HEAD")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroy();
                return "unknown (git timed out)";
            }
            return p.exitValue() == 0 ? out : "unknown (not a git checkout)";
        } catch (IOException e) {
            return "unknown (git not available)";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown (interrupted)";
        }
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
