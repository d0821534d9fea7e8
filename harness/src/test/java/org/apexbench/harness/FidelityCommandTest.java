package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apexbench.profiler.fidelity.Fidelity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FidelityCommandTest {
    @TempDir Path tmp;

    @Test
    void writesACompleteFolderWithEveryComparisonAndPassesTheTargets() throws Exception {
        Path out = tmp.resolve("fid");
        Cli r = Cli.run("fidelity", "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        org.apexbench.reports.Manifest.verify(out);
        List<Fidelity.Comparison> all = Fidelity.all();
        List<String> summary = Files.readAllLines(out.resolve("fidelity.csv"));
        assertEquals(1 + all.size(), summary.size());
        for (int i = 0; i < all.size(); i++) {
            Fidelity.Comparison c = all.get(i);
            String row = summary.get(i + 1);
            assertTrue(row.startsWith(c.id() + ",") && row.endsWith(String.format(java.util.Locale.ROOT, ",%.2f,%.2f,%.2f,true",
                    c.mapePct(), c.maxErrorPct(), c.targetPct())), row);
        }
        int points = all.stream().mapToInt(c -> c.points().size()).sum();
        List<String> pts = Files.readAllLines(out.resolve("fidelity-points.csv"));
        assertEquals(1 + points, pts.size());
        // a point's row holds its measured time (Vidur's median) and the model's
        Fidelity.Point first = all.getFirst().points().getFirst();
        assertTrue(pts.get(1).startsWith(all.getFirst().id() + "," + first.label() + ","), pts.get(1));
        assertTrue(pts.get(1).contains(String.format(java.util.Locale.ROOT, ",%.5f,%.5f,", first.measuredSec() * 1e3,
                first.simulatedSec() * 1e3)), pts.get(1));
        String html = Files.readString(out.resolve("fidelity.html"));
        for (Fidelity.Comparison c : all) {
            assertTrue(html.contains("<section id=\"" + c.id() + "\">"), c.id());
        }
        assertEquals(all.size(), html.split("<img ", -1).length - 1, "one chart per comparison");
        assertFalse(html.contains("class=\"bad\""));
        assertTrue(r.out().contains("decode-a40-llama2-7b") && r.out().contains("ok"), r.out());
    }

    @Test
    void aMapeAboveItsTargetExitsOneAndStillWritesTheFolder() throws Exception {
        Path out = tmp.resolve("strict");
        Cli r = Cli.run("fidelity", "--out", out.toString(), "--target-pct", "5");
        assertEquals(1, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("ABOVE TARGET"), r.out());
        org.apexbench.reports.Manifest.verify(out);
        assertTrue(Files.readString(out.resolve("fidelity.html")).contains("class=\"bad\""));
        Cli bad = Cli.run("fidelity", "--out", tmp.resolve("x").toString(), "--target-pct", "-1");
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("--target-pct") && !bad.err().contains("Exception"), bad.err());
        assertFalse(Files.exists(tmp.resolve("x")));
    }
}
