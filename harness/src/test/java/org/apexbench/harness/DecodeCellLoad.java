package org.apexbench.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.WorkloadFiles;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Not a test: what a capacity probe's draws offer, the input of docs/capacity.md's decode-heavy bound table. For each
 * CELL {@code hardware:model:workload:rate} of {@code -Dapex.cellload=CELL;CELL...} it takes each draw's requests from
 * {@link CapacityMatrix#probeSetup}, as the matrix's probe runs them, with the command's defaults (the default grid's engines, 100 requests, a 300 s span, at most 1000; seeds
 * {@code first .. first + draws - 1} from {@code -Dapex.cellload.first=F} (default 0) and {@code -Dapex.cellload.draws=K}
 * (default 5; the matrix's {@code --draws K} runs seeds 0 .. K - 1); the first n requests every engine can serve, the i-th
 * arriving at the i-th drawn arrival) and
 * prints per draw and pooled: the requests kept, their mean prompt and output, the token-weighted mean context of their
 * decode tokens (what {@code DecodeCapacityBound} takes), the last arrival and the realized rate over the nominal one
 * (requests over the last arrival's time; pooled: all draws' requests over the sum of their spans). With
 * {@code -Dapex.cellload.out=DIR} it writes each draw's requests as
 * {@code DIR/<hardware>-<model>-<workload>-<rate>-seed<k>.jsonl}, which {@code apex run/compare --requests FILE} replays
 * exactly (where some engine cannot serve every request, the probe's are not the spec's first n). Skipped without {@code -Dapex.cellload}, e.g.
 * {@code mvn -o -q -pl harness -am test -Dtest=DecodeCellLoad -Dsurefire.failIfNoSpecifiedTests=false
 * -Dapex.cellload=t4-g4dn.4xlarge:llama-2-7b:cot:0.031695 -Dapex.cellload.draws=10}.
 */
class DecodeCellLoad {
    @Test
    void table() {
        String cells = System.getProperty("apex.cellload");
        Assumptions.assumeTrue(cells != null, "load table only with -Dapex.cellload=... (a calculation, not a test)");
        int draws = Integer.getInteger("apex.cellload.draws", 5);
        long first = Long.getLong("apex.cellload.first", 0L);
        String out = System.getProperty("apex.cellload.out");
        CapacityMatrix matrix = new CapacityMatrix(CapacityMatrix.Grid.defaults(first, draws), null);
        System.out.println("cell (grid rate) | seed | n | drawn | mean prompt | mean output | token-weighted context | last arrival s | realized / nominal");
        for (String cell : cells.split(";")) {
            String[] a = cell.split(":");
            CapacityMatrix.Workload w = CapacityMatrix.workload(a[2]);
            // the grid point the matrix probed (the CSVs print 5 digits): the same arrival times, to the bit where the paths agree
            int steps = MaxRateSearch.stepsFor(w.minRate(), w.maxRate(), CapacityMatrix.RESOLUTION);
            double rate = MonotonicityCheck.point(w.minRate(), w.maxRate(), steps,
                    MonotonicityCheck.index(w.minRate(), w.maxRate(), steps, Double.parseDouble(a[3])));
            long kept = 0, prompt = 0, output = 0;
            double context = 0, span = 0;
            for (long seed = first; seed < first + draws; seed++) {
                int k = (int) (seed - first);
                CommonRequests common = matrix.commonRequests(a[0], a[1], w, k);
                List<RequestSpec> run = matrix.probeSetup(a[0], a[1], w, rate, k, common, null).workload().requests();
                long p = 0, o = 0;
                double c = 0;
                for (RequestSpec r : run) {
                    long pl = r.promptTokens().length, ol = r.outputTokens();
                    p += pl;
                    o += ol;
                    c += ol * (double) pl + ol * (ol - 1) / 2.0;   // decode token i of a request runs at context P + i
                }
                double last = run.get(run.size() - 1).arrivalSec();
                kept += run.size();
                prompt += p;
                output += o;
                context += c;
                span += last;
                System.out.println(String.format(Locale.ROOT, "%s (%.17g) | %d | %d | %d | %.1f | %.1f | %.1f | %.1f | %.4f", cell, rate, seed, run.size(),
                        run.size() + common.removed(run.size()), (double) p / run.size(), (double) o / run.size(), c / o, last, run.size() / (rate * last)));
                if (out != null) {
                    Path f = Path.of(out, String.format(Locale.ROOT, "%s-%s-%s-%s-seed%d.jsonl", a[0], a[1], a[2], a[3], seed));
                    try {
                        Files.createDirectories(f.getParent());
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    WorkloadFiles.write(f, run);
                }
            }
            System.out.println(String.format(Locale.ROOT, "%s | pooled | %d | | %.1f | %.1f | %.1f | %.1f | %.4f", cell, kept,
                    (double) prompt / kept, (double) output / kept, context / output, span, kept / (rate * span)));
        }
    }
}
