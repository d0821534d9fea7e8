package org.apexbench.reports;

import java.util.Map;
import java.util.TreeMap;
import org.apexbench.profiler.metrics.Summary;

/**
 * One engine's run as reports see it.
 *
 * @param label   engine name as the user wrote it (e.g. {@code static-hybrid:neo})
 * @param summary its metrics
 * @param records its records
 * @param runSpec what defined the run (written to summary.json's run_spec)
 * @param setup   vLLM's setup keys for this run (written at the top of summary.json and vllm-result.json)
 */
public record ReportedRun(String label, Summary summary, RunRecords records, Map<String, Object> runSpec,
                          VllmSetup setup) {
    public ReportedRun {
        runSpec = new TreeMap<>(runSpec);
        java.util.Objects.requireNonNull(setup, "setup");
    }

    /** Label usable as an HTML id and a folder name. */
    public String slug() { return slug(label); }

    public static String slug(String label) { return label.replaceAll("[^A-Za-z0-9_-]+", "-").replaceAll("-+$", ""); }
}
