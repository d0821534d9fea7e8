package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.apexbench.profiler.table.MeasuredRuntime;
import org.apexbench.profiler.table.Profile;
import org.apexbench.reports.IterationBreakdown;
import org.apexbench.reports.Manifest;
import org.apexbench.reports.ValidationReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CI-sized {@code apex validate} on a test-data model: the folder is complete, every row compares the two runs it
 * names with the right arithmetic (not that the errors are small: this machine is shared and noisy), and the profile it
 * measured drives {@code apex run --backend sim --profile} deterministically and is refused for another model or KV type.
 */
class ValidateCommandTest {
    private static final String ENGINES = "gpu-only,static-hybrid:offload";
    @TempDir static Path tmp;
    static Path folder;
    static Cli validate;

    @BeforeAll
    static void validateOnce() {
        folder = tmp.resolve("validate");
        validate = Cli.run("validate", "--model", RealEngineRuns.tinyLlama3().toString(), "--engines", ENGINES,
                "--requests", "synthetic:count=4,input=16,output=6", "--gpu-kv-blocks", "2", "--host-kv-blocks", "16",
                "--max-running", "4", "--max-tokens", "32", "--repeats", "2", "--out", folder.toString());
    }

    private static List<CSVRecord> rows() throws IOException {
        try (Reader r = Files.newBufferedReader(folder.resolve(ValidationReport.CSV))) {
            return CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(r).getRecords();
        }
    }

    @Test
    void theFolderIsCompleteAndEveryRowComparesBothRuns() throws IOException {
        assertEquals(0, validate.code(), validate.err());
        Manifest m = Manifest.verify(folder);
        assertEquals("validation", m.kind());
        for (String f : List.of(ValidationReport.CSV, ValidationReport.HTML, "environment.json", "tiny-llama3/" + ValidationReport.PROFILE)) {
            assertTrue(m.files().containsKey(f), f + " in " + m.files().keySet());
        }
        assertEquals(ValidationReport.COLUMNS, List.copyOf(CSVFormat.DEFAULT.builder().setHeader().get()
                .parse(Files.newBufferedReader(folder.resolve(ValidationReport.CSV))).getHeaderNames()));
        List<CSVRecord> rows = rows();
        assertEquals(List.of("gpu-only", "static-hybrid:offload"), rows.stream().map(r -> r.get("engine")).toList());
        for (CSVRecord r : rows) {
            assertEquals("4", r.get("real_completed"), "every request of the real run: " + r);
            assertEquals("4", r.get("sim_completed"), "every request of the simulated run: " + r);
            for (String metric : List.of("output_throughput", "median_tpot_ms", "p99_tpot_ms", "median_ttft_ms", "gpu_busy_s", "duration_s")) {
                double real = Double.parseDouble(r.get("real_" + metric)), sim = Double.parseDouble(r.get("sim_" + metric));
                assertTrue(real > 0 && sim > 0, metric + " measured on both sides: " + r);
                String err = metric.replace("_ms", "").replace("_s", "") + "_error";
                assertEquals(sim / real - 1, Double.parseDouble(r.get(err)), 1e-9 + 1e-6 * Math.abs(sim / real), err + " of " + r);
            }
            assertEquals(4 * 6, Double.parseDouble(r.get("real_min_duration_s")) * Double.parseDouble(r.get("real_max_output_throughput")),
                    1e-6, "the shortest real run is the fastest, and it produced the workload's 4 x 6 output tokens: " + r);
            boolean within = Math.abs(Double.parseDouble(r.get("output_throughput_error"))) <= ValidationReport.TARGET
                    && Math.abs(Double.parseDouble(r.get("median_tpot_error"))) <= ValidationReport.TARGET;
            assertEquals(within, Boolean.parseBoolean(r.get("within_target")), r.toString());
            assertEquals("2", r.get("real_runs"), "two interleaved real runs per engine: " + r);
            for (String metric : List.of("output_throughput", "median_tpot_ms")) {
                double lo = Double.parseDouble(r.get("real_min_" + metric)), mid = Double.parseDouble(r.get("real_" + metric));
                double hi = Double.parseDouble(r.get("real_max_" + metric));
                assertEquals((lo + hi) / 2, mid, 1e-9 * hi, "the median of two runs is their mean: " + r);
                String stem = metric.equals("output_throughput") ? "output_throughput" : "median_tpot";
                assertEquals((hi - lo) / (hi + lo), Double.parseDouble(r.get(stem + "_real_spread")), 1e-9, "spread of " + metric + ": " + r);
            }
            double tputErr = Math.abs(Double.parseDouble(r.get("output_throughput_error")));
            double tpotErr = Math.abs(Double.parseDouble(r.get("median_tpot_error")));
            boolean explained = (tputErr <= ValidationReport.TARGET || tputErr <= Double.parseDouble(r.get("output_throughput_real_spread")))
                    && (tpotErr <= ValidationReport.TARGET || tpotErr <= Double.parseDouble(r.get("median_tpot_real_spread")));
            assertEquals(within ? "within_target" : explained ? "within_real_spread" : "model_error", r.get("verdict"), r.toString());
            int warmUps = Integer.parseInt(r.get("warm_up_runs"));
            assertTrue(warmUps >= 2 && warmUps <= 6, "discarded warm-up runs: 1 to 5 rounds (the default), one more after the"
                    + " recalibration: " + r);
            assertEquals(warmUps * Integer.parseInt(r.get("real_iterations")), Integer.parseInt(r.get("warm_up_iterations")),
                    "each warm-up ran the validated workload whole (the schedule of a measured run), none counted among them: " + r);
            assertTrue(Double.parseDouble(r.get("warm_up_s")) > 0, r.toString());
            assertTrue(Double.parseDouble(r.get("real_max_jit_ms")) >= Double.parseDouble(r.get("real_jit_ms"))
                    && Double.parseDouble(r.get("real_jit_ms")) >= 0, "the JIT's time inside the measured runs: " + r);
            if (Files.isReadable(Path.of("/proc/loadavg"))) {
                assertTrue(Double.parseDouble(r.get("real_load_average")) >= 0, "the load the real runs met: " + r);
            }
        }
        CSVRecord offload = rows.get(1);
        assertTrue(Double.parseDouble(offload.get("real_cpu_busy_s")) > 0 && Double.parseDouble(offload.get("sim_cpu_busy_s")) > 0,
                "a 2-block GPU pool sends requests to the host: CPU attention ran in both runs " + offload);
        String html = Files.readString(folder.resolve(ValidationReport.HTML));
        assertTrue(html.contains("<img") && html.contains("id=\"validation\""), "charts and table in the HTML");
        Profile p = Profile.load(folder.resolve("tiny-llama3").resolve(ValidationReport.PROFILE));
        assertTrue(p.tables().keySet().containsAll(List.of(MeasuredRuntime.JITTER_SAMPLES, MeasuredRuntime.HANDOFF_SAMPLES,
                MeasuredRuntime.CPU_ATTN_SHARED, MeasuredRuntime.DEVICE_SHARED, MeasuredRuntime.ITERATION_SAMPLES,
                MeasuredRuntime.iterationTable("static-hybrid:offload"))), p.tables().keySet().toString());
        // offload's serial layers: its host attentions ran with no device work beside them, and the profile keeps their speed
        var hostSpeed = org.apexbench.profiler.table.HostAttentionSpeed.of(p);
        assertTrue(hostSpeed != null && hostSpeed.alone() > 0, p.tables().keySet().toString());
    }

    /**
     * The simulator's level of the operators' speed (each device table's median in-run ratio in the profile the simulations
     * use) is the one stderr names, and comes from gpu-only's warm-up runs on the validated workload, every round but the
     * first (all of the warm-up's rounds: gpu-only's warm-up runs less the one after the recalibration), which ran PRE and
     * POST on each of tiny-llama3's 3 layers in every iteration, not from the calibration's 8-request run.
     */
    @Test
    void theOperatorSpeedComesFromTheWarmUpRunsOnTheValidatedWorkload() throws IOException {
        assumeTrue(validate.code() == 0, "validate failed: " + validate.err());
        var line = java.util.regex.Pattern.compile("validate: tiny-llama3: operator speed in runs \\(median in-run ratio over the profile's tables\\)"
                + " pre ([0-9.]+) post ([0-9.]+) embed ([0-9.]+) lmHead ([0-9.]+) gpuDecodeAttn ([0-9.]+), from gpu-only's warm-up"
                + " (?:run|runs 2 to ([0-9]+)) on the warm-up workload \\(([0-9]+) device subtasks\\)").matcher(validate.err());
        assertTrue(line.find(), validate.err());
        Profile p = Profile.load(folder.resolve("tiny-llama3").resolve(ValidationReport.PROFILE));
        List<String> tables = List.of(Profile.PRE, Profile.POST, Profile.EMBED, Profile.LM_HEAD, Profile.GPU_DECODE_ATTN);
        for (int i = 0; i < tables.size(); i++) {
            assertEquals(Double.parseDouble(line.group(i + 1)), MeasuredRuntime.inRunScale(p, tables.get(i)), 5e-4, tables.get(i));
        }
        CSVRecord gpuOnly = rows().get(0);
        int rounds = Integer.parseInt(gpuOnly.get("warm_up_runs")) - 1;
        assertEquals(rounds, line.group(6) == null ? 1 : Integer.parseInt(line.group(6)), "every round before the recalibration: " + gpuOnly);
        int pooledRuns = rounds > 1 ? rounds - 1 : 1;
        assertTrue(Long.parseLong(line.group(7)) >= (long) pooledRuns * Integer.parseInt(gpuOnly.get("real_iterations")) * 2 * 3,
                "PRE and POST of 3 layers in every iteration of " + pooledRuns + " runs: " + line.group());
        assertTrue(p.table(MeasuredRuntime.inRunTable(Profile.POST)) instanceof org.apexbench.profiler.table.Table1D t
                && t.seconds().length <= IterationCalibration.MAX_IN_RUN_SAMPLES, "a bounded number of ratios kept");
    }

    /**
     * Every engine is simulated at the shared operator speed (gpu-only's warm-up runs), as `apex run --backend sim --profile`
     * simulates it ({@link #everyRealRunIsSimulatedFromRuntimeSamplesTakenRightBeforeIt}); every engine but gpu-only also
     * gets its own operator speed from its own warm-up runs (the device subtasks with no host attention beside them), kept
     * in the profile and reported beside: the row gives both speeds and the errors of the same simulations at its own, empty
     * for gpu-only; and `--summarize` of this one folder gives back each row's errors as the medians.
     */
    @Test
    void everyEngineSimulatesAtTheSharedOperatorSpeedWithItsOwnBeside() throws IOException {
        assumeTrue(validate.code() == 0, "validate failed: " + validate.err());
        Profile p = Profile.load(folder.resolve("tiny-llama3").resolve(ValidationReport.PROFILE));
        assertTrue(MeasuredRuntime.ownInRunRatios(p, "static-hybrid:offload"), p.tables().keySet().toString());
        assertFalse(MeasuredRuntime.ownInRunRatios(p, "gpu-only"), "gpu-only's own is the shared one");
        var line = java.util.regex.Pattern.compile("validate: tiny-llama3 static-hybrid:offload: its own operator speed pre ([0-9.]+) post"
                + " ([0-9.]+) .*, from its warm-up (?:run|runs 2 to [0-9]+) \\(([0-9]+) device subtasks with no host attention beside them;"
                + " ([0-9]+) beside it left out\\)").matcher(validate.err());
        assertTrue(line.find(), validate.err());
        Profile own = MeasuredRuntime.forEngine(p, "static-hybrid:offload");
        assertEquals(Double.parseDouble(line.group(2)), MeasuredRuntime.inRunScale(own, Profile.POST), 5e-4);
        assertTrue(Long.parseLong(line.group(3)) > 0, line.group());
        List<CSVRecord> rows = rows();
        String shared = String.format(java.util.Locale.ROOT, "post=%.4f", MeasuredRuntime.inRunScale(p, Profile.POST));
        for (CSVRecord r : rows) assertTrue(r.get("operator_speed").contains(shared), "every engine at the shared speed: " + r);
        assertEquals("", rows.get(0).get("own_operator_speed"), "gpu-only's own is the shared one");
        assertEquals("", rows.get(0).get("own_speed_output_throughput_error"));
        CSVRecord offload = rows.get(1);
        assertTrue(offload.get("own_operator_speed").contains(String.format(java.util.Locale.ROOT, "post=%.4f",
                MeasuredRuntime.inRunScale(own, Profile.POST))), offload.toString());
        // the own-speed simulations: each bracketed profile at the engine's own speed, simulated as apex run simulates it
        double ownSum = 0;
        for (int k = 1; k <= 2; k++) {
            Path ownProfile = tmp.resolve("own-speed-" + k + ".json");
            Outputs.saveProfile(MeasuredRuntime.forEngine(Profile.load(folder.resolve("tiny-llama3")
                    .resolve("profile-static-hybrid-offload-" + k + ".json")), "static-hybrid:offload"), ownProfile);
            Path out = tmp.resolve("own-speed-run-" + k);
            Cli sim = Cli.run(simRun(out, RealEngineRuns.tinyLlama3().toString(), "f16", ownProfile, 1));
            assertEquals(0, sim.code(), sim.err());
            ownSum += new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("output_throughput").asDouble();
        }
        double real = Double.parseDouble(offload.get("real_output_throughput"));
        assertEquals(ownSum / 2 / real - 1, Double.parseDouble(offload.get("own_speed_output_throughput_error")), 1e-6,
                "the error of the median of the simulations at its own speed: " + offload);

        Path summary = tmp.resolve("summary-of-one");
        Cli s = Cli.run("validate", "--summarize", folder.toString(), "--out", summary.toString(), "--quiet");
        assertEquals(0, s.code(), s.err());
        try (Reader r = Files.newBufferedReader(summary.resolve(org.apexbench.reports.ValidationSummary.CSV))) {
            List<CSVRecord> sum = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(r).getRecords();
            assertEquals(rows.size(), sum.size());
            for (int i = 0; i < rows.size(); i++) {
                assertEquals("1", sum.get(i).get("validations"));
                assertEquals(Double.parseDouble(rows.get(i).get("output_throughput_error")),
                        Double.parseDouble(sum.get(i).get("median_output_throughput_error")), 1e-12);
                assertEquals(rows.get(i).get("verdict"), sum.get(i).get("verdicts"));
                String ownError = rows.get(i).get("own_speed_output_throughput_error");
                String median = sum.get(i).get("median_own_speed_output_throughput_error");
                if (ownError.isEmpty()) assertEquals("", median, "no own speed: " + sum.get(i));
                else assertEquals(Double.parseDouble(ownError), Double.parseDouble(median), 1e-12);
            }
        }
    }

    /** Without gpu-only among the validated engines there is no warm-up run of it: the line says the calibration run's are used. */
    @Test
    void withoutAGpuOnlyWarmUpTheCalibrationRunGivesTheOperatorSpeed() {
        assumeTrue(validate.code() == 0, "validate failed: " + validate.err());
        Profile p = org.apexbench.profiler.table.MeasuredRuntime.withInRunRatios(Profile.load(folder.resolve("tiny-llama3").resolve(ValidationReport.PROFILE)),
                Profile.POST, new double[] {0.5, 0.7, 0.9});
        String s = ValidateCommand.operatorSpeed(p, 0, java.util.Map.of());
        assertTrue(s.contains(" post 0.700") && s.endsWith("from the gpu-only calibration run (no gpu-only warm-up run: gpu-only is not validated)"), s);
    }

    private static String[] simRun(Path out) { return simRun(out, RealEngineRuns.tinyLlama3().toString(), "f16"); }

    private static String[] simRun(Path out, String model, String kv) {
        return simRun(out, model, kv, folder.resolve("tiny-llama3").resolve(ValidationReport.PROFILE), 3);
    }

    private static String[] simRun(Path out, String model, String kv, Path profile, long seed) {
        return new String[] {"run", "--backend", "sim", "--engine", "static-hybrid:offload", "--model", model,
                "--profile", profile.toString(), "--requests",
                "synthetic:count=4,input=16,output=6", "--seed", Long.toString(seed), "--gpu-kv-blocks", "2", "--host-kv-blocks", "16", "--max-running", "4",
                "--max-tokens", "32", "--threads", "1", "--kv-dtype", kv, "--quiet", "--out", out.toString()};
    }

    /**
     * Bracketing (the default): right before each real run the runtime samples are taken again, the profile's tables
     * and calibration (its in-run ratios too) kept, and saved beside the profile; the row's simulated side is the median (of two: the mean) of
     * the simulations from them, each reproducible with `apex run --backend sim --profile` of that file.
     */
    @Test
    void everyRealRunIsSimulatedFromRuntimeSamplesTakenRightBeforeIt() throws IOException {
        assumeTrue(validate.code() == 0, "validate failed: " + validate.err());
        Path dir = folder.resolve("tiny-llama3");
        Profile first = Profile.load(dir.resolve(ValidationReport.PROFILE));
        Manifest m = Manifest.verify(folder);
        double sum = 0;
        for (int k = 1; k <= 2; k++) {
            String name = "profile-static-hybrid-offload-" + k + ".json";
            assertTrue(m.files().containsKey("tiny-llama3/" + name), name + " in " + m.files().keySet());
            Profile fresh = Profile.load(dir.resolve(name));
            assertEquals(first.fingerprint(), fresh.fingerprint());
            for (var e : first.tables().entrySet()) {
                boolean resampled = e.getKey().startsWith("runtime.") && !e.getKey().startsWith(MeasuredRuntime.ITERATION_SAMPLES)
                        && !e.getKey().startsWith(MeasuredRuntime.IN_RUN);
                if (resampled) continue;
                assertEquals(org.apexbench.reports.JsonFiles.toJson(e.getValue()),
                        org.apexbench.reports.JsonFiles.toJson(fresh.tables().get(e.getKey())), "kept: " + e.getKey());
            }
            assertTrue(fresh.tables().keySet().containsAll(List.of(MeasuredRuntime.inRunTable(org.apexbench.profiler.table.Profile.POST),
                    MeasuredRuntime.NOISE_REFERENCE, MeasuredRuntime.TWO_THREAD_DEVICE, MeasuredRuntime.TWO_THREAD_HOST,
                    MeasuredRuntime.TWO_THREAD_WAIT, MeasuredRuntime.TWO_THREAD_HOST_ALONE, MeasuredRuntime.OVERLAP_PICKUP,
                    MeasuredRuntime.OVERLAP_RETURN, MeasuredRuntime.TWO_THREAD_DEVICE_REFERENCE,
                    MeasuredRuntime.TWO_THREAD_HOST_REFERENCE)), fresh.tables().keySet().toString());
            assertFalse(java.util.Arrays.equals(((org.apexbench.profiler.table.Table1D) first.table(MeasuredRuntime.JITTER_SAMPLES)).seconds(),
                    ((org.apexbench.profiler.table.Table1D) fresh.table(MeasuredRuntime.JITTER_SAMPLES)).seconds()), "measured again");
            Path out = tmp.resolve("bracketed-" + k);
            Cli sim = Cli.run(simRun(out, RealEngineRuns.tinyLlama3().toString(), "f16", dir.resolve(name), 1));
            assertEquals(0, sim.code(), sim.err());
            sum += new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.resolve("summary.json").toFile()).get("output_throughput").asDouble();
        }
        double rowSim = Double.parseDouble(rows().get(1).get("sim_output_throughput"));
        assertEquals(sum / 2, rowSim, 1e-6 * rowSim, "the median of the two bracketed simulations");
    }

    /**
     * The per-iteration breakdown of every real run and its bracketed simulation ({@link IterationBreakdown}): the same
     * schedule on both sides, so each real run's iteration groups are its simulation's with the same counts, and a run's
     * groups sum to its iterations; each run's requests split by preemption, with the run's median TPOT beside.
     */
    @Test
    void everyRunsIterationsAreBrokenDownBesideItsSimulation() throws IOException {
        assumeTrue(validate.code() == 0, "validate failed: " + validate.err());
        Manifest m = Manifest.verify(folder);
        for (String f : List.of(IterationBreakdown.FILE, IterationBreakdown.TPOT_FILE)) {
            assertTrue(m.files().containsKey("tiny-llama3/" + f), f + " in " + m.files().keySet());
        }
        List<CSVRecord> groups;
        try (Reader r = Files.newBufferedReader(folder.resolve("tiny-llama3").resolve(IterationBreakdown.FILE))) {
            groups = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(r).getRecords();
        }
        for (CSVRecord row : rows()) {
            String e = row.get("engine");
            for (int k = 1; k <= 2; k++) {
                int run = k;
                java.util.function.Function<String, List<String>> side = s -> groups.stream()
                        .filter(g -> g.get("engine").equals(e) && g.get("side").equals(s) && Integer.parseInt(g.get("run")) == run)
                        .map(g -> g.get("strategy") + " " + g.get("prefill") + " " + g.get("decode_rows") + " x" + g.get("iterations")).toList();
                assertFalse(side.apply("real").isEmpty(), e + " run " + k);
                assertEquals(side.apply("real"), side.apply("sim"), e + " run " + k + ": the same iterations on both sides");
                int iterations = side.apply("real").stream().mapToInt(g -> Integer.parseInt(g.substring(g.lastIndexOf('x') + 1))).sum();
                assertEquals(Integer.parseInt(row.get("real_iterations")), iterations, e + " run " + k);
            }
        }
        List<CSVRecord> tpot;
        try (Reader r = Files.newBufferedReader(folder.resolve("tiny-llama3").resolve(IterationBreakdown.TPOT_FILE))) {
            tpot = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(r).getRecords();
        }
        for (String s : List.of("real", "sim")) {
            int requests = tpot.stream().filter(t -> t.get("engine").equals("gpu-only") && t.get("side").equals(s) && t.get("run").equals("1"))
                    .mapToInt(t -> Integer.parseInt(t.get("requests"))).sum();
            assertEquals(4, requests, s + ": every request of the run, preempted or not");
        }
    }

    /** Validate warns, before it starts, where the load average exceeds the cores (the real runs' spread grows). */
    @Test
    void aLoadAboveTheCoresIsWarnedAbout() {
        assertEquals(null, ValidateCommand.loadWarning(1.9, 2));
        assertEquals(null, ValidateCommand.loadWarning(Double.NaN, 2), "no load average on this system: no warning");
        String w = ValidateCommand.loadWarning(9.44, 2);
        assertTrue(w.startsWith("validate: warning: the load average is 9.4 on 2 cores") && w.contains("raised priority"), w);
    }

    @Test
    void theMeasuredProfileDrivesADeterministicSimulation() throws IOException {
        assumeTrue(validate.code() == 0, "validate failed: " + validate.err());
        Cli a = Cli.run(simRun(tmp.resolve("sim-a"))), b = Cli.run(simRun(tmp.resolve("sim-b")));
        assertEquals(0, a.code(), a.err());
        assertEquals(0, b.code(), b.err());
        for (String f : List.of("requests.csv", "iterations.csv", "subtasks.csv")) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("sim-a").resolve(f)), Files.readAllBytes(tmp.resolve("sim-b").resolve(f)), f);
        }
    }

    @Test
    void aProfileOfAnotherModelOrKvTypeIsRefusedNamingTheField() {
        assumeTrue(validate.code() == 0, "validate failed: " + validate.err());
        Cli kv = Cli.run(simRun(tmp.resolve("sim-kv"), RealEngineRuns.tinyLlama3().toString(), "f32"));
        assertEquals(1, kv.code());
        assertTrue(kv.err().contains("kvDtype: 'f16' (profile) vs 'f32' (expected)"), kv.err());
        Cli model = Cli.run(simRun(tmp.resolve("sim-model"), RealEngineRuns.tinyLlama3().resolveSibling("tiny-llama2").toString(), "f16"));
        assertEquals(1, model.code());
        assertTrue(model.err().contains("model: 'ModelGeometry[name=tiny-llama3"), model.err());
        assertFalse(model.err().contains("Exception"), "no stack trace: " + model.err());
        assertFalse(Files.exists(tmp.resolve("sim-model")), "no folder from a refused run");
    }

    @Test
    void aRepeatCountOutsideItsRangeIsRefusedNamingTheOption() {
        Path out = tmp.resolve("repeats");
        Cli r = Cli.run("validate", "--model", RealEngineRuns.tinyLlama3().toString(), "--engines", "gpu-only", "--repeats", "0",
                "--out", out.toString(), "--quiet");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("--repeats must be a count of real runs per engine, 1 to 100, got 0")
                && !r.err().contains("got 0.0"), "the count shown as a count: " + r.err());
        assertFalse(r.err().contains("Exception"), "no stack trace: " + r.err());
        assertFalse(Files.exists(out), "no folder from a refused validation");
    }

    @Test
    void aWarmUpRunCountOutsideItsRangeIsRefusedNamingTheOption() {
        for (String bad : List.of("-1", "21")) {
            Path out = tmp.resolve("warm-up" + bad);
            Cli r = Cli.run("validate", "--model", RealEngineRuns.tinyLlama3().toString(), "--engines", "gpu-only", "--warm-up-runs", bad,
                    "--out", out.toString(), "--quiet");
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().contains("--warm-up-runs must be the most rounds of discarded real runs, 0 (none) to 20, got " + bad),
                    r.err());
            assertFalse(r.err().contains("Exception"), "no stack trace: " + r.err());
            assertFalse(Files.exists(out), "no folder from a refused validation");
        }
    }

    /** A checkpoint folder's model warms up on the whole validated workload; a preset, whose runs take 30 to 50 s, on one batch. */
    @Test
    void aPresetWarmsUpOnOneBatchOfTheValidatedWorkload() {
        assertEquals(32, ValidateCommand.warmUpRequests(32, true, 16));
        assertEquals(4, ValidateCommand.warmUpRequests(8, false, 4));
        assertEquals(3, ValidateCommand.warmUpRequests(3, false, 4), "never more requests than the workload has");
    }

    /** The warm-up ends after a round in which the JIT compiled for less than 5% of the round's wall time. */
    @Test
    void aRoundInWhichTheJitBarelyCompiledEndsTheWarmUp() {
        assertTrue(ValidateCommand.quiet(26, 2400), "26 ms of compiling in a 2.4 s round");
        assertFalse(ValidateCommand.quiet(466, 1800), "466 ms in a 1.8 s round: still compiling");
        assertFalse(ValidateCommand.quiet(120, 2400), "exactly 5% is not below it");
    }

    @Test
    void cudaIsRefusedSayingWhyWhereNoGpuCanRun() {
        assumeTrue(CudaProbe.unavailableReason() != null, "a CUDA GPU is usable here");
        Path out = tmp.resolve("cuda");
        Cli r = Cli.run("validate", "--backend", "cuda", "--model", RealEngineRuns.tinyLlama3().toString(), "--engines", "gpu-only",
                "--out", out.toString(), "--quiet");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains("cuda backend unavailable"), r.err());
        assertFalse(Files.exists(out), "no folder from a refused validation");
    }
}
