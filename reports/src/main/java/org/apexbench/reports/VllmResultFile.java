package org.apexbench.reports;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.profiler.metrics.VllmRequest;

/**
 * vllm-result.json: the run as {@code vllm bench serve --save-result --save-detailed} writes its result file, so
 * tools that read vLLM result files read ours. It holds vLLM's {@code date} (local time, vLLM's
 * {@code yyyyMMdd-HHmmss}), the setup keys ({@link VllmSetup}), every metric under a vLLM name with the same
 * value as summary.json, vLLM's per-request arrays in request order ({@code input_lens}, {@code output_lens},
 * {@code ttfts}, {@code itls}, {@code latencies}, {@code start_times}, {@code queue_times}, {@code errors}; times
 * in seconds) and {@code rtfx} (0: no audio input). It has no {@code generated_texts}: our engines produce token
 * ids, not text. Apart from {@code date}, a sim run with the same seed writes the same bytes.
 */
public final class VllmResultFile {
    private VllmResultFile() {}

    public static final String FILE = "vllm-result.json";
    static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");
    /** Metric keys of summary.json that vLLM writes under the same name. */
    static final Pattern VLLM_METRIC = Pattern.compile("duration|completed|failed|total_input_tokens|total_output_tokens"
            + "|request_throughput|request_goodput|output_throughput|total_token_throughput|max_output_tokens_per_s"
            + "|max_concurrent_requests|(mean|median|std|p[0-9.]+)_(ttft|tpot|itl|e2el)_ms");

    public static void write(Path file, ReportedRun run, LocalDateTime date) {
        JsonFiles.writeCompact(file, document(run, date));
    }

    static Map<String, Object> document(ReportedRun run, LocalDateTime date) {
        Map<String, Object> doc = new TreeMap<>();
        doc.put("date", DATE.format(date));
        doc.putAll(run.setup().toMap());
        doc.put("label", run.label());
        run.summary().toMap().forEach((k, v) -> {
            if (VLLM_METRIC.matcher(k).matches()) doc.put(k, v);
        });
        doc.put("rtfx", 0.0);
        boolean closedLoop = run.setup().maxConcurrency() != null;
        List<Integer> inputLens = new ArrayList<>(), outputLens = new ArrayList<>();
        List<Double> ttfts = new ArrayList<>(), latencies = new ArrayList<>(), startTimes = new ArrayList<>(),
                queueTimes = new ArrayList<>();
        List<double[]> itls = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (RequestRecord r : run.records().requests()) {
            VllmRequest v = VllmRequest.of(r);
            inputLens.add(v.promptLen());
            outputLens.add(v.outputLen());
            ttfts.add(v.ttft());
            itls.add(v.itl());
            latencies.add(v.latency());
            startTimes.add(v.startTime());
            // A closed loop's requests are all ready at t = 0; each waits for a free client until its start.
            queueTimes.add(closedLoop ? v.startTime() : 0.0);
            errors.add(v.error());
        }
        doc.put("input_lens", inputLens);
        doc.put("output_lens", outputLens);
        doc.put("ttfts", ttfts);
        doc.put("itls", itls);
        doc.put("latencies", latencies);
        doc.put("start_times", startTimes);
        doc.put("queue_times", queueTimes);
        doc.put("errors", errors);
        return doc;
    }
}
