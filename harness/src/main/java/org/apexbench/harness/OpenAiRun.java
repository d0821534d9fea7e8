package org.apexbench.harness;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apexbench.engine.runtime.RunResult;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.metrics.Metrics;
import org.apexbench.profiler.metrics.Summary;
import org.apexbench.reports.ReportedRun;
import org.apexbench.reports.RunRecords;
import org.apexbench.serving.client.OpenAiEngine;

/**
 * A run of the {@code openai} engine: the setup's workload sent to a running OpenAI-compatible server
 * (docs/serving.md), with the same result folder, metrics and report as every engine. The server is measured from
 * outside, so the run has requests only: no iterations, hence no iteration-level metrics (absent, not zero), and no
 * memory budget of ours (the server has its own). Only the engine's bracket options apply; --engine-option is for
 * our engines.
 */
final class OpenAiRun {
    private OpenAiRun() {}

    /** @param plannedPasses the passes the command's progress planned for this engine (the openai engine makes one) */
    static EngineRunner.Outcome run(EngineRunner.Setup s, String engineLabel, CommandProgress progress, int plannedPasses) {
        Map<String, String> own = EngineChoice.parse(engineLabel, Map.of()).options();
        OpenAiEngine.Options o = OpenAiEngine.Options.parse(own);
        int n = s.workload().requests().size();
        if (progress != null) {
            progress.replan(-(long) (plannedPasses - 1) * n);
            progress.println(String.format(Locale.ROOT, "%s: sending %d requests (%s) to %s ...", engineLabel, n, s.workloadText(),
                    o.url()));
        }
        OpenAiEngine.Result r = OpenAiEngine.run(o, s.workload().requests(), s.workload().closedLoopConcurrency(),
                progress == null ? null : progress.pass(engineLabel, n));
        Summary summary = Metrics.summarize(r.requests(), null, s.slo(), s.durationClock());
        if (progress != null) {
            progress.println(String.format(Locale.ROOT, "%s: %d/%d requests done, %d failed, %.1f output tok/s in %.1f s",
                    engineLabel, summary.completed(), n, summary.failed(), summary.outputThroughput(), r.wallSec()));
        }
        String description = "OpenAI-compatible server at " + o.url() + ", model " + r.model();
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("engine", OpenAiEngine.ID);
        spec.put("engine_description", description);
        spec.put("backend", "remote");
        spec.put("executor", "remote");
        spec.put("url", o.url().toString());
        spec.put("model", r.model());
        spec.put("workload", s.workloadText());
        spec.put("workload_description", s.workload().description());
        spec.put("workload_model", s.model().name());
        spec.put("num_prompts", n);
        spec.put("seed", s.seed());
        spec.put("max_concurrency", o.maxConcurrency());
        spec.put("engine_options", new TreeMap<>(own));
        long tokens = r.requests().stream().filter(RequestRecord::succeeded).mapToLong(RequestRecord::outputTokens).sum();
        RunResult result = new RunResult(OpenAiEngine.ID, description, "remote", s.budgets(), r.requests(), List.of(), List.of(),
                tokens, summary.durationSec());
        ReportedRun report = new ReportedRun(engineLabel, summary, new RunRecords(r.requests(), List.of(), List.of()), spec,
                EngineRunner.vllmSetup(s, OpenAiEngine.ID, r.model()));
        return new EngineRunner.Outcome(report, result, r.wallSec(), null, null);
    }
}
