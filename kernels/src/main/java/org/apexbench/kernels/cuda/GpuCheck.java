package org.apexbench.kernels.cuda;

import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.BackendUnavailableException;
import org.apexbench.kernels.Backends;

/**
 * The prepared GPU check (scripts/gpu-check.sh runs it on the dist runtime; no Maven or JUnit needed):
 * opens the cuda backend, runs {@link ParityChecks} against the cpu backend, then {@link GpuBench}.
 * Usage: {@code GpuCheck [--device N] [--out DIR] [--no-bench]}; DIR defaults to $OUT, and receives
 * gpu-check.csv (one row per benchmark line) and parity.txt. Exit code 0 = all parity checks passed,
 * 1 = some failed, 2 = cuda unavailable (the reason is printed).
 */
public final class GpuCheck {
    private GpuCheck() {}

    public static void main(String[] args) throws IOException {
        int device = 0;
        boolean bench = true;
        String out = System.getenv("OUT");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--device" -> device = Integer.parseInt(args[++i]);
                case "--out" -> out = args[++i];
                case "--no-bench" -> bench = false;
                default -> {
                    System.err.println("GpuCheck: unknown argument '" + args[i] + "'; usage: GpuCheck [--device N] [--out DIR] [--no-bench]");
                    System.exit(64);
                }
            }
        }
        CudaBackend cuda;
        try {
            cuda = CudaBackend.openCuda(device);
        } catch (BackendUnavailableException e) {
            System.err.println("GpuCheck: " + e.getMessage());
            System.exit(2);
            return;
        }
        int failures;
        try (cuda) {
            System.out.println("backend: " + cuda.describe());
            Backend cpu = null;
            int referenceMissing = 0;
            try {
                cpu = Backends.open("cpu", 0);
            } catch (BackendUnavailableException e) {  // e.g. a JVM without the Vector API: the check fails, saying why
                System.out.println("parity: FAIL: cpu reference backend unavailable (" + e.getMessage() + "): only the "
                        + "self-checking ops run");
                referenceMissing = 1;
            }
            List<ParityChecks.Result> results;
            StringBuilder report = new StringBuilder();
            try {
                results = new ParityChecks(cuda, cpu).onResult(r -> {
                    System.out.println(r);
                    report.append(r).append('\n');
                }).runAll();
            } finally {
                if (cpu != null) cpu.close();
            }
            results = new java.util.ArrayList<>(results);
            for (ParityChecks.Result r : RuntimeChecks.runAll(cuda)) {  // graph replay, host-flag wait
                System.out.println(r);
                report.append(r).append('\n');
                results.add(r);
            }
            failures = (int) results.stream().filter(r -> !r.passed()).count();
            System.out.println("parity: " + (results.size() - failures) + "/" + results.size() + " passed"
                    + (referenceMissing > 0 ? " (without the cpu reference: failed)" : ""));
            failures += referenceMissing;
            if (out != null) {
                Files.createDirectories(Path.of(out));
                Files.writeString(Path.of(out, "parity.txt"), report);
            }
            if (bench) {
                GpuBench gb = new GpuBench(cuda);
                try {
                    gb.runAll();
                } catch (RuntimeException e) {  // keep what was measured; a kernel fault must still show up
                    System.out.println("benchmark aborted: " + e);
                    failures++;
                }
                if (out != null) writeCsv(Path.of(out, "gpu-check.csv"), gb, cuda);
            }
        }
        System.exit(failures == 0 ? 0 : 1);
    }

    private static void writeCsv(Path file, GpuBench bench, CudaBackend cuda) throws IOException {
        try (Writer w = Files.newBufferedWriter(file);
             CSVPrinter csv = new CSVPrinter(w, CSVFormat.DEFAULT.builder()
                     .setHeader("key", "op", "shape", "microseconds", "value", "unit", "ratio_to_copy_bw", "target", "device").get())) {
            for (GpuBench.Row r : bench.rows()) {
                csv.printRecord(r.key(), r.op(), r.shape(), r.microseconds(), r.value(), r.unit(),
                        Double.isNaN(r.ratio()) ? "" : r.ratio(), r.target(), cuda.deviceName());
            }
        }
        System.out.println("wrote " + file);
    }
}
