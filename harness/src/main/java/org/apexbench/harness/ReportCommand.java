package org.apexbench.harness;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apexbench.reports.ReportedRun;
import org.apexbench.reports.HtmlReport;
import org.apexbench.reports.Manifest;
import org.apexbench.reports.ResultFolder;
import org.apexbench.reports.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "report", mixinStandardHelpOptions = true,
        description = {"Rebuild report.html from the CSV/JSON files of a run folder or a comparison folder.",
                "Metrics are recomputed from requests.csv and iterations.csv with the SLOs summary.json recorded.",
                "Only a complete result folder is read: its manifest.json must be there and every file must match it",
                "(size and SHA-256, nothing missing, nothing extra); otherwise the error says what is wrong. A report",
                "written inside the folder is recorded in its manifest."})
final class ReportCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--in", required = true, paramLabel = "DIR", description = "Result folder of `apex run` or `apex compare`.")
    Path in;

    @Option(names = "--out", paramLabel = "FILE", description = "Where to write the HTML (default: DIR/report.html).")
    Path out;

    @Override
    public Integer call() {
        Path file = out != null ? out : in.resolve(HtmlReport.FILE);
        Path dir = in.toAbsolutePath().normalize(), target = file.toAbsolutePath().normalize();
        List<ReportedRun> runs = RunDirectory.readAny(in);
        if (!target.startsWith(dir)) {
            HtmlReport.write(file, HtmlReport.title(runs), runs);
        } else {
            // Inside the result folder: hold its lock, check it again, replace the file in one rename and record it
            // in the manifest, so the folder stays complete and consistent.
            ResultFolder.locked(in, () -> {
                List<ReportedRun> now = RunDirectory.readAny(in);
                Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
                HtmlReport.write(tmp, HtmlReport.title(now), now);
                try {
                    java.nio.file.Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException("cannot write " + file, e);
                }
                Manifest.read(in).withFile(dir, dir.relativize(target).toString().replace(java.io.File.separatorChar, '/')).write(dir);
                return null;
            });
        }
        spec.commandLine().getOut().println("wrote " + file);
        return 0;
    }
}
