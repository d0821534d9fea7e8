package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.apexbench.profiler.table.MeasuredRuntime;
import org.apexbench.profiler.table.Profile;
import org.apexbench.reports.IterationBreakdown;
import org.apexbench.reports.Manifest;
import org.apexbench.reports.ReportedRun;
import org.apexbench.reports.ValidationReport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `apex validate --backend cuda` end to end on a machine without a GPU: the same command line as on a GPU host, run in a
 * scope where the cuda device is the enqueueing emulation ({@link EnqueueingCpuDevice}: the cpu backend named "cuda",
 * bridged by {@link EnqueueingCpuBridge}), so that every cuda branch of the flow runs (the profile's DeviceSubtaskTimer
 * sweep and its device-path runtime samples, the device-memory check, the warm-up runs and the recalibration from their
 * device subtasks, the bracketed samples before each real run, the real executor's enqueueing path, the simulations from
 * the cuda profile, the reports). What it asserts is what the first GPU run needs: the folder is whole, simulated and
 * real runs ran the same schedule (an engine with no feedback from measured times decides the same from the same
 * profile), the profile says it was measured on the device path, the errors are numbers, and the real runs' CPU
 * attention went through the device-side waits. Outside the scope `--backend cuda` stays refused where no GPU runs
 * (ValidateCommandTest).
 */
class ValidateCudaPathTest {
    /** gpu-only and a two-thread hybrid: neither feeds measured times back into its decisions. */
    private static final List<String> ENGINES = List.of("gpu-only", "static-hybrid:neo[runtime=two-thread]");
    private static final int REQUESTS = 4, OUTPUT = 6;
    @TempDir static Path tmp;
    static Path folder;
    static Cli validate;
    static final EnqueueingCpuDevice.Tally TALLY = new EnqueueingCpuDevice.Tally();

    @BeforeAll
    static void validateOnce() {
        folder = tmp.resolve("validate-cuda");
        validate = ScopedValue.where(RealDevices.EMULATED, EnqueueingCpuDevice.emulation(TALLY)).call(() -> Cli.run("validate",
                "--backend", "cuda", "--model", RealEngineRuns.tinyLlama3().toString(), "--engines", String.join(",", ENGINES),
                "--requests", "synthetic:count=" + REQUESTS + ",input=16,output=" + OUTPUT, "--gpu-kv-blocks", "2",
                "--host-kv-blocks", "16", "--max-running", "4", "--max-tokens", "32", "--repeats", "1", "--warm-up-runs", "1",
                "--out", folder.toString()));
    }

    private static List<CSVRecord> rows() throws IOException {
        try (Reader r = Files.newBufferedReader(folder.resolve(ValidationReport.CSV))) {
            return CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(r).getRecords();
        }
    }

    @Test
    void theFolderHoldsEveryFileValidateWrites() throws IOException {
        assertEquals(0, validate.code(), validate.err());
        Manifest m = Manifest.verify(folder);
        assertEquals("validation", m.kind());
        Set<String> expected = new TreeSet<>(List.of(ValidationReport.CSV, ValidationReport.HTML, "environment.json",
                "tiny-llama3/" + ValidationReport.PROFILE, "tiny-llama3/" + IterationBreakdown.FILE, "tiny-llama3/" + IterationBreakdown.TPOT_FILE));
        for (String e : ENGINES) expected.add("tiny-llama3/profile-" + ReportedRun.slug(e) + "-1.json");
        assertEquals(expected, new TreeSet<>(m.files().keySet()), "the manifest lists every file validate writes");
        Set<String> onDisk = new TreeSet<>();
        try (Stream<Path> files = Files.walk(folder)) {
            files.filter(Files::isRegularFile).forEach(f -> onDisk.add(folder.relativize(f).toString().replace('\\', '/')));
        }
        expected.add("manifest.json");
        assertEquals(expected, onDisk, "nothing missing, nothing left over");
        assertEquals(ENGINES, m.engines().stream().map(e -> e.label().replace("tiny-llama3: ", "")).toList());
        String environment = Files.readString(folder.resolve("environment.json"));
        assertTrue(environment.contains(EnqueueingCpuDevice.DEVICE), "the device the real runs ran on: " + environment);
        String breakdown = Files.readString(folder.resolve("tiny-llama3").resolve(IterationBreakdown.FILE));
        for (String e : ENGINES) {
            assertTrue(breakdown.contains(e + ",real,1,") && breakdown.contains(e + ",sim,1,"), e + "'s real and simulated iterations: " + breakdown);
        }
    }

    @Test
    void simulatedAndRealRunsRanTheSameScheduleAndTheErrorsAreNumbers() throws IOException {
        assumeTrue(validate.code() == 0, "validate failed: " + validate.err());
        List<CSVRecord> rows = rows();
        assertEquals(ENGINES, rows.stream().map(r -> r.get("engine")).toList());
        for (CSVRecord r : rows) {
            assertEquals("1", r.get("real_runs"), r.toString());
            assertEquals(String.valueOf(REQUESTS), r.get("real_completed"), "every request of the real run: " + r);
            assertEquals(String.valueOf(REQUESTS), r.get("sim_completed"), "every request of the simulated run: " + r);
            assertEquals(r.get("real_iterations"), r.get("sim_iterations"), "the same iterations: " + r);
            assertEquals(0.0, Double.parseDouble(r.get("strategy_mix_distance")), "the same strategy mix: " + r);
            assertEquals(r.get("real_strategy_mix"), r.get("sim_strategy_mix"), r.toString());
            for (String metric : List.of("output_throughput", "median_tpot_ms", "p99_tpot_ms", "median_ttft_ms", "gpu_busy_s", "duration_s")) {
                double real = Double.parseDouble(r.get("real_" + metric)), sim = Double.parseDouble(r.get("sim_" + metric));
                assertTrue(real > 0 && Double.isFinite(real) && sim > 0 && Double.isFinite(sim), metric + " measured on both sides: " + r);
                String err = metric.replace("_ms", "").replace("_s", "") + "_error";
                assertTrue(Double.isFinite(Double.parseDouble(r.get(err))), err + " of " + r);
            }
            assertEquals(REQUESTS * OUTPUT, Double.parseDouble(r.get("real_duration_s")) * Double.parseDouble(r.get("real_output_throughput")),
                    1e-6, "the real run produced the workload's output tokens: " + r);
        }
        CSVRecord neo = rows.get(1);
        assertTrue(Double.parseDouble(neo.get("real_cpu_busy_s")) > 0 && Double.parseDouble(neo.get("sim_cpu_busy_s")) > 0,
                "a 2-block GPU pool sends requests to the host: CPU attention ran in both runs " + neo);
        assertTrue(Double.isFinite(Double.parseDouble(neo.get("cpu_busy_error"))), neo.toString());
    }

    /**
     * The profile records the device path: fingerprint backend cuda on the bridge's device, tables from the
     * DeviceSubtaskTimer, and, as on a GPU, no contention pair, two-thread or overlapped layer (the device is other
     * hardware than the host's cores), while the noise, hand-over, per-iteration and in-run samples are there; every
     * bracketed profile likewise.
     */
    @Test
    void theProfileIsMeasuredOnTheDevicePath() throws IOException {
        assumeTrue(validate.code() == 0, "validate failed: " + validate.err());
        Path model = folder.resolve("tiny-llama3");
        List<Path> profiles = new java.util.ArrayList<>(List.of(model.resolve(ValidationReport.PROFILE)));
        for (String e : ENGINES) profiles.add(model.resolve("profile-" + ReportedRun.slug(e) + "-1.json"));
        for (Path f : profiles) {
            Profile p = Profile.load(f);
            assertEquals("cuda", p.fingerprint().backend(), f.toString());
            assertEquals("cpu (enqueueing emulation)", p.fingerprint().gpu(), f + ": the bridge's device");
            assertTrue(p.measuredWith().startsWith("DeviceSubtaskTimer (" + EnqueueingCpuDevice.DEVICE), f + ": " + p.measuredWith());
            Set<String> tables = p.tables().keySet();
            assertTrue(tables.containsAll(List.of(MeasuredRuntime.JITTER_SAMPLES, MeasuredRuntime.NOISE_REFERENCE,
                    MeasuredRuntime.HANDOFF_SAMPLES, MeasuredRuntime.ITERATION_SAMPLES, MeasuredRuntime.iterationTable(ENGINES.get(1)),
                    MeasuredRuntime.inRunTable(Profile.PRE), MeasuredRuntime.inRunTable(Profile.POST))), f + ": " + tables);
            for (String absent : List.of(MeasuredRuntime.CPU_ATTN_ALONE, MeasuredRuntime.CPU_ATTN_SHARED, MeasuredRuntime.DEVICE_ALONE,
                    MeasuredRuntime.DEVICE_SHARED, MeasuredRuntime.TWO_THREAD_DEVICE, MeasuredRuntime.TWO_THREAD_HOST,
                    MeasuredRuntime.TWO_THREAD_WAIT, MeasuredRuntime.OVERLAP_PICKUP, MeasuredRuntime.OVERLAP_RETURN)) {
                assertFalse(tables.contains(absent), f + ": " + absent + " is not measured on cuda");
            }
        }
    }

    /** Every real run's CPU attention went through the device-side wait of the enqueueing bridge, every iteration resolved. */
    @Test
    void theRealRunsTookTheEnqueueingPath() {
        assumeTrue(validate.code() == 0, "validate failed: " + validate.err());
        assertTrue(TALLY.devicesOpened.get() > 0 && TALLY.bridgesOpened.get() > 0, "devices " + TALLY.devicesOpened + ", bridges "
                + TALLY.bridgesOpened);
        assertTrue(TALLY.iterationsEnded.get() > 0, "iterations resolved through the bridge: " + TALLY.iterationsEnded);
        assertTrue(TALLY.outputsWaitedFor.get() > 0, "CPU-attention outputs awaited on the device: " + TALLY.outputsWaitedFor);
    }
}
