package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apexbench.reports.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CI regression gate: a small deterministic sim comparison checked against the committed baseline in
 * src/test/resources/baseline with {@code apex regress}. After an intended change of engine behaviour,
 * regenerate the baseline with
 * {@code mvn -o -q -pl harness -am test -Dtest=CiRegressionTest -Dsurefire.failIfNoSpecifiedTests=false -Dapex.updateBaseline=true}
 * and commit it with the change that moved it.
 */
class CiRegressionTest {
    /** Every engine registered, a few hundred requests each: about 2 s of simulation per engine. */
    static final String ENGINES = "gpu-only,static-hybrid:neo,static-hybrid:fastdecode,apex";
    static final String[] RUN = {"compare", "--engines", ENGINES, "--backend", "sim", "--model", "llama-3.1-8b",
            "--hardware", "a10g-g5.8xlarge", "--requests", "mixed:sharegpt=0.6,long-output=0.2,cot=0.2;count=300,rate=2",
            "--seed", "11", "--quiet"};

    @TempDir Path tmp;

    @Test
    void smallSimComparisonMatchesTheCommittedBaseline() throws Exception {
        Path out = tmp.resolve("ci");
        String[] args = java.util.Arrays.copyOf(RUN, RUN.length + 2);
        args[RUN.length] = "--out";
        args[RUN.length + 1] = out.toString();
        Cli run = Cli.run(args);
        assertEquals(0, run.code(), run.out() + run.err());
        Path baseline = Path.of("src/test/resources/baseline");
        if (Boolean.getBoolean("apex.updateBaseline")) {
            // The baseline keeps each engine's summary.json and a manifest of them (regress reads complete folders only).
            try (var old = Files.walk(baseline)) {
                for (Path f : old.sorted(java.util.Comparator.reverseOrder()).toList()) if (!f.equals(baseline)) Files.delete(f);
            }
            Manifest produced = Manifest.verify(out);
            for (Manifest.Engine e : produced.engines()) {
                Files.createDirectories(baseline.resolve(e.folder()));
                Files.copy(out.resolve(e.folder()).resolve("summary.json"), baseline.resolve(e.folder()).resolve("summary.json"));
            }
            Manifest.describe(baseline, produced.kind(), java.util.Arrays.asList(RUN), produced.engines()).write(baseline);
        }
        Cli regress = Cli.run("regress", "--baseline", baseline.toString(), "--run", out.toString());
        // every engine is checked (12 metrics each), none skipped
        org.junit.jupiter.api.Assertions.assertTrue(regress.out().contains("OK, " + 12 * ENGINES.split(",").length + " metrics"), regress.out());
        assertEquals(0, regress.code(), regress.out() + regress.err());
    }
}
