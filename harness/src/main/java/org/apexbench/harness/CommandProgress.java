package org.apexbench.harness;

import java.io.PrintWriter;
import java.util.Locale;
import org.apexbench.engine.runtime.EngineLoop;
import org.apexbench.reports.ProgressReporter;

/**
 * One progress line and one ETA for a whole command. Its work is counted in request-passes (a simulated pass over
 * N requests is N units; a compare of 3 engines with 2 passes each over 80 requests is 480), so the rate and the
 * ETA cover every pass of every engine still to come, not the pass at hand, and the wall time is end to end.
 */
final class CommandProgress {
    private final ProgressReporter reporter;
    private final String command;
    private long planned;
    private long reserved;

    /** @param planned request-passes the command expects to run (see {@link #replan}) */
    CommandProgress(PrintWriter err, String command, long planned) {
        this(err, command, planned, System::nanoTime);
    }

    CommandProgress(PrintWriter err, String command, long planned, java.util.function.LongSupplier clock) {
        this.reporter = new ProgressReporter(err, command, "request-passes", 1.0, clock);
        this.command = command;
        this.planned = planned;
    }

    /** Request-passes of {@code engines} engine runs over {@code requests} requests each, {@code passes} passes per run. */
    static long units(long engines, long requests, int passes) { return engines * requests * passes; }

    /** The progress callback of one pass over {@code requests} requests, shown as {@code what}. */
    EngineLoop.Progress pass(String what, int requests) {
        long base = reserved;
        reserved += requests;
        if (reserved > planned) planned = reserved;
        reporter.label(command + " [" + what + "]");
        return (done, total) -> reporter.update(base + done, planned);
    }

    /** Changes the planned total by {@code delta} request-passes (a search that stopped early plans fewer). */
    void replan(long delta) { planned = Math.max(reserved, planned + delta); }

    /** A line of its own (an engine starting or done), keeping the progress line intact. */
    void println(String line) { reporter.println(line); }

    /** Seconds since the command started. */
    double elapsedSec() { return reporter.elapsedSec(); }

    /** The last line: what ran, and the command's wall time from its start. */
    void finish(String what) {
        reporter.println(String.format(Locale.ROOT, "%s: %s in %.1f s wall", command, what, reporter.elapsedSec()));
    }
}
