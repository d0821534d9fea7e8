package org.apexbench.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Closed-loop workloads (concurrency=N): N clients, each sending its next request when the last one finished. */
class ClosedLoopCommandTest {
    @TempDir Path tmp;

    @Test
    void simRunKeepsAtMostConcurrencyRequestsInTheSystem() throws Exception {
        Cli r = Cli.run("run", "--engine", "gpu-only", "--requests", "sharegpt:count=40,concurrency=4", "--out",
                tmp.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        List<double[]> spans = new ArrayList<>(); // arrival, finish (last token)
        try (Reader in = Files.newBufferedReader(tmp.resolve("requests.csv"))) {
            for (CSVRecord rec : CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get().parse(in)) {
                assertEquals("", rec.get("failure"), rec.get("request_id"));
                String[] times = rec.get("token_times_s").split(";");
                spans.add(new double[] {Double.parseDouble(rec.get("arrival_s")), Double.parseDouble(times[times.length - 1])});
            }
        }
        assertEquals(40, spans.size());
        int peak = 0;
        for (double[] s : spans) {
            // in the system at s's arrival: arrived by then and not finished yet (a finish at that instant freed the slot)
            int inSystem = 0;
            for (double[] o : spans) if (o[0] <= s[0] && o[1] > s[0]) inSystem++;
            peak = Math.max(peak, inSystem);
        }
        assertEquals(4, peak, "at most 4 requests in the system, and 4 clients really ran concurrently");
        long late = spans.stream().filter(s -> s[0] > 0).count();
        assertEquals(36, late, "the first 4 requests arrive at t=0, each later one when a previous one finished");
    }

    @Test
    void cpuBackendRefusesClosedLoopWorkloadsByName() {
        Cli r = Cli.run("run", "--engine", "gpu-only", "--backend", "cpu", "--model", "tiny-llama2", "--gpu-kv-blocks", "8",
                "--host-kv-blocks", "8", "--requests", "synthetic:count=2,input=8,output=4,concurrency=1", "--out", tmp.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("concurrency=") && r.err().contains("sim backend only"), r.err());
    }
}
