package org.apexbench.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
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
                "written inside a result folder is recorded in its manifest (and in those of folders around it)."})
final class ReportCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--in", required = true, paramLabel = "DIR", description = "Result folder of `apex run` or `apex compare`.")
    Path in;

    @Option(names = "--out", paramLabel = "FILE", description = "Where to write the HTML (default: DIR/report.html).")
    Path out;

    @Override
    public Integer call() {
        Path file = out != null ? out : in.resolve(HtmlReport.FILE);
        Path target = file.toAbsolutePath().normalize();
        List<ReportedRun> runs = RunDirectory.readAny(in);
        List<Path> folders = resultFoldersHolding(target);
        if (folders.isEmpty()) {
            HtmlReport.write(file, HtmlReport.title(runs), runs);
        } else {
            // Inside a result folder (its own, or a comparison inside a paper grid): hold the outermost folder's lock,
            // read again, replace the file in one rename and record it in every enclosing manifest (innermost first,
            // each outer one also recording the inner manifest it changed), so every folder stays complete.
            ResultFolder.locked(folders.getLast(), () -> {
                List<ReportedRun> now = RunDirectory.readAny(in);
                Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
                HtmlReport.write(tmp, HtmlReport.title(now), now);
                try {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException("cannot write " + file, e);
                }
                List<Path> changed = new ArrayList<>(List.of(target));
                for (Path folder : folders) {
                    Manifest m = Manifest.read(folder);
                    for (Path c : changed) m = m.withFile(folder, folder.relativize(c).toString().replace(java.io.File.separatorChar, '/'));
                    m.write(folder);
                    changed.add(folder.resolve(Manifest.FILE));
                }
                return null;
            });
        }
        spec.commandLine().getOut().println("wrote " + file);
        return 0;
    }

    /**
     * The nested result folders that {@code file} lies in, innermost first: from the first folder up with an apex
     * manifest (a file in an engine folder belongs to its comparison) to the last one in a row (a comparison inside
     * a paper grid); a manifest.json of another tool further up is none of ours.
     */
    static List<Path> resultFoldersHolding(Path file) {
        List<Path> out = new ArrayList<>();
        for (Path d = file.getParent(); d != null; d = d.getParent()) {
            if (Manifest.isResultFolder(d)) out.add(d);
            else if (!out.isEmpty()) break;
        }
        return out;
    }
}
