package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution as a user gets it (docs/distribution.md): harness/target/apex-dist.tar.gz unpacked into an
 * empty folder outside the repository and run only through its bin/apex, on a host emulated to have no fonts
 * (fontconfig configured with none, a fresh home so that Java's font cache cannot supply them). Run by Failsafe
 * after the {@code dist} profile built the distribution (./run-tests does both).
 */
class DistributionIT {
    /** What one call may carry to a device machine (docs/distribution.md): the archive must fit. */
    private static final long CARRY_LIMIT_BYTES = 64L << 20;
    private static final Pattern PNG = Pattern.compile("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");

    @TempDir static Path tmp;
    private static Path dist;
    private static Map<String, String> env;

    @BeforeAll
    static void unpackTheArchive() throws Exception {
        Path archive = Path.of(System.getProperty("apex.dist.archive"));
        assertTrue(Files.isRegularFile(archive), "the dist profile writes " + archive);
        Path unpacked = Files.createDirectories(tmp.resolve("unpacked"));
        Proc tar = Proc.run(unpacked, Map.of(), List.of("tar", "-xzf", archive.toString()));
        assertEquals(0, tar.code(), tar.err());
        dist = unpacked.resolve("apex-dist");
        Path noFonts = tmp.resolve("no-fonts.conf");
        Files.writeString(noFonts, "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n<fontconfig></fontconfig>\n");
        env = Map.of("FONTCONFIG_FILE", noFonts.toString(),
                "APEX_JAVA_OPTS", "-Duser.home=" + Files.createDirectories(tmp.resolve("home")),
                "TMPDIR", Files.createDirectories(tmp.resolve("tmp")).toString());
    }

    @Test
    void theArchiveHoldsTheWholeDistributionAndFitsTheCarryLimit() throws IOException {
        Path built = Path.of(System.getProperty("apex.dist.dir"));
        assertEquals(listing(built), listing(dist), "apex-dist.tar.gz unpacks to harness/target/dist, file for file");
        long archive = Files.size(Path.of(System.getProperty("apex.dist.archive")));
        assertTrue(archive < CARRY_LIMIT_BYTES, "archive of " + archive + " bytes exceeds the 64 MiB a device call carries");
        for (String f : List.of("bin/apex", "bin/apex-java", "runtime/bin/java")) {
            assertTrue(Files.isExecutable(dist.resolve(f)), f + " is executable after unpacking");
        }
    }

    /** The README's main command, exactly: no option, so it writes runs/default under the current directory. */
    @Test
    void theMainCommandWritesItsReportWithEveryChart() throws Exception {
        Path work = Files.createDirectories(tmp.resolve("main"));
        Proc r = apex(work, "compare");
        assertEquals(0, r.code(), r.out() + r.err());
        assertNoStackTrace(r);
        Path dir = work.resolve("runs/default");
        List<String> engines = List.of("gpu-only", "static-hybrid-neo", "apex");
        for (String engine : engines) {
            for (String f : List.of("requests.csv", "iterations.csv", "subtasks.csv", "summary.json")) {
                assertTrue(Files.isRegularFile(dir.resolve(engine).resolve(f)), engine + "/" + f);
            }
            JsonNode summary = new ObjectMapper().readTree(dir.resolve(engine).resolve("summary.json").toFile());
            assertEquals(80, summary.get("completed").asInt(), engine + ": every request of the default workload completes");
        }
        assertBuiltCommitRecorded(dir);
        List<BufferedImage> charts = charts(dir.resolve("report.html"));
        // Throughput, TTFT and TPOT CDFs, then per engine at least a timeline and the KV occupancy.
        assertTrue(charts.size() >= 3 + 2 * engines.size(), charts.size() + " charts");
        assertTextDrawnInTitleBand(charts.get(0));
    }

    /** The test-data model on the cpu backend with a GPU pool too small for all prompts: the reference tokens. */
    @Test
    void runOnTheCpuBackendGeneratesTheReferenceTokens() throws Exception {
        Path model = RealEngineRuns.tinyLlama3();
        ReferencePrompts prompts = ReferencePrompts.of(model, 8);
        Path workload = prompts.writeWorkload(tmp.resolve("prompts.jsonl"));
        Path dir = tmp.resolve("cpu-run");
        Proc r = apex(tmp, "run", "--engine", "apex", "--backend", "cpu", "--model", model.toString(),
                "--requests", workload.toString(), "--gpu-kv-blocks", "16", "--host-kv-blocks", "64", "--threads", "1",
                "--save-tokens", "--out", dir.toString(), "--quiet");
        assertEquals(0, r.code(), r.out() + r.err());
        assertNoStackTrace(r);
        for (String f : List.of("requests.csv", "iterations.csv", "subtasks.csv", "summary.json", "tokens.jsonl")) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        prompts.assertTokensMatch(dir.resolve("tokens.jsonl"), "apex from the distribution");
        assertEquals(prompts.count(), new ObjectMapper().readTree(dir.resolve("summary.json").toFile()).get("completed").asInt());
        assertTrue(Files.readString(dir.resolve("environment.json")).contains("cpu vector="), "the backend is named");
        assertBuiltCommitRecorded(dir);
        List<BufferedImage> charts = charts(dir.resolve("report.html"));
        assertTrue(charts.size() >= 5, charts.size() + " charts");
        assertTextDrawnInTitleBand(charts.get(0));
    }

    @Test
    void runOnCudaWithoutADriverIsRefusedWithTheReason() {
        String reason = CudaProbe.unavailableReason();
        assumeTrue(reason != null, "a CUDA GPU is usable here: the refusal path cannot be shown");
        Path dir = tmp.resolve("cuda-run");
        Proc r = apex(tmp, "run", "--engine", "gpu-only", "--backend", "cuda", "--model", RealEngineRuns.tinyLlama3().toString(),
                "--requests", "synthetic:count=2,input=16,output=4,rate=4", "--gpu-kv-blocks", "8", "--host-kv-blocks", "8",
                "--out", dir.toString());
        assertEquals(1, r.code(), r.out() + r.err());
        // The same reason as in the build's own JVM: the trimmed JCuda natives still hold the driver binding,
        // whose loading fails only for want of the driver's libcuda.so.1.
        assertTrue(r.err().contains("apex run: error: " + reason), r.err());
        assertNoStackTrace(r);
        assertFalse(Files.exists(dir), "a refused run leaves no result folder");
    }

    private static Proc apex(Path cwd, String... args) {
        List<String> command = new ArrayList<>(List.of(dist.resolve("bin/apex").toString()));
        command.addAll(List.of(args));
        return Proc.run(cwd, env, command);
    }

    private static void assertNoStackTrace(Proc r) {
        String all = r.out() + r.err();
        assertFalse(all.contains("\tat ") || all.contains("Exception in thread") || all.contains("Error:"), all);
    }

    private static void assertBuiltCommitRecorded(Path resultDir) throws IOException {
        String commit = Files.readString(dist.resolve("COMMIT")).strip();
        assertFalse(commit.isEmpty());
        JsonNode environment = new ObjectMapper().readTree(resultDir.resolve("environment.json").toFile());
        assertEquals(commit, environment.get("git_commit").asText(), "environment.json names the distribution's commit");
    }

    /** Every chart embedded in a report, decoded; each must be a real picture. */
    private static List<BufferedImage> charts(Path report) throws IOException {
        assertTrue(Files.isRegularFile(report), report.toString());
        Matcher m = PNG.matcher(Files.readString(report));
        List<BufferedImage> images = new ArrayList<>();
        while (m.find()) {
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1))));
            assertNotNull(img, "chart " + images.size() + " of " + report + " decodes as PNG");
            assertTrue(img.getWidth() >= 400 && img.getHeight() >= 100, img.getWidth() + "x" + img.getHeight());
            images.add(img);
        }
        return images;
    }

    /** A chart's title is the only thing drawn in its top band: dark pixels there mean the font rendered. */
    private static void assertTextDrawnInTitleBand(BufferedImage chart) {
        int dark = 0;
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < chart.getWidth(); x++) {
                int rgb = chart.getRGB(x, y);
                int luminance = ((rgb >> 16 & 0xff) + (rgb >> 8 & 0xff) + (rgb & 0xff)) / 3;
                if (luminance < 100) dark++;
            }
        }
        assertTrue(dark > 50, dark + " dark pixels in the title band: no text drawn");
    }

    /** Relative path -> size of every file under root. */
    private static Map<String, Long> listing(Path root) throws IOException {
        Map<String, Long> files = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) files.put(root.relativize(p).toString(), Files.size(p));
        }
        return files;
    }

    /** A child process with its output captured in files (no pipe to fill), killed after five minutes. */
    private record Proc(int code, String out, String err) {
        static Proc run(Path cwd, Map<String, String> env, List<String> command) {
            try {
                Path out = Files.createTempFile(tmp, "out", ".txt"), err = Files.createTempFile(tmp, "err", ".txt");
                ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile())
                        .redirectOutput(out.toFile()).redirectError(err.toFile());
                pb.environment().putAll(env);
                Process p = pb.start();
                if (!p.waitFor(5, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    throw new AssertionError(command + " still running after 5 minutes");
                }
                return new Proc(p.exitValue(), Files.readString(out), Files.readString(err));
            } catch (IOException e) {
                throw new AssertionError("cannot run " + command, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted running " + command, e);
            }
        }
    }
}
