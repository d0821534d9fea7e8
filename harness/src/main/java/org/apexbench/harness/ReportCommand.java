package org.apexbench.harness;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apexbench.reports.ReportedRun;
import org.apexbench.reports.HtmlReport;
import org.apexbench.reports.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Rebuild report.html from the CSV/JSON files of a run folder or a comparison folder.",
                "Metrics are recomputed from requests.csv and iterations.csv with the SLOs summary.json recorded."})
final class ReportCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--in", required = true, paramLabel = "DIR", description = "Run folder (summary.json, requests.csv, "
            + "iterations.csv[, subtasks.csv]) or comparison folder (one such folder per engine).")
    Path in;

    @Option(names = "--out", paramLabel = "FILE", description = "Where to write the HTML (default: DIR/report.html).")
    Path out;

    @Override
    public Integer call() {
        List<ReportedRun> runs = RunDirectory.readAny(in);
        Path file = out != null ? out : in.resolve(HtmlReport.FILE);
        HtmlReport.write(file, HtmlReport.title(runs), runs);
        spec.commandLine().getOut().println("wrote " + file);
        return 0;
    }
}
