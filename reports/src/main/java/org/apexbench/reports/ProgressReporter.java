package org.apexbench.reports;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of long work on the terminal: units done (requests of a run, runs of a sweep), rate and ETA, at
 * most once per interval of wall time. Callers call {@link #update(long, long)} as often as they like (cheap
 * when nothing is due). The rate and the ETA are over all the work since this reporter was made, so one
 * reporter for a whole command gives one ETA for all of it; {@link #label(String)} says what runs now, and
 * {@link #println} prints other lines without garbling the progress line.
 */
public final class ProgressReporter {
    private final PrintWriter out;
    private String label;
    private final String unit;
    private final long intervalNanos;
    private final LongSupplier clock;
    private final long startNanos;
    private long lastPrint;
    private boolean printed;
    private int shown;   // length of the progress line on screen now (ended by \r), 0 if none

    public ProgressReporter(PrintWriter out, String label, String unit, double intervalSec) {
        this(out, label, unit, intervalSec, System::nanoTime);
    }

    /** As above, reading the time (nanoseconds) from {@code clock}. */
    public ProgressReporter(PrintWriter out, String label, String unit, double intervalSec, LongSupplier clock) {
        this.out = out;
        this.label = label;
        this.unit = unit;
        this.intervalNanos = (long) (intervalSec * 1e9);
        this.clock = clock;
        this.startNanos = clock.getAsLong();
        this.lastPrint = startNanos;
    }

    /** Reports {@code done} of {@code total} units finished. */
    public void update(int done, int total) { update((long) done, (long) total); }

    /** Reports {@code done} of {@code total} units finished. */
    public void update(long done, long total) {
        long now = clock.getAsLong();
        if (now - lastPrint < intervalNanos && done < total) return;
        if (done >= total && !printed) return; // short work stays quiet
        lastPrint = now;
        printed = true;
        String line = line(label, unit, done, total, (now - startNanos) / 1e9);
        out.print(line + " ".repeat(Math.max(0, shown - line.length())) + (done >= total ? "\n" : "\r"));
        shown = done >= total ? 0 : line.length();
        out.flush();
    }

    /** What runs now: the label of the next progress lines. */
    public void label(String label) { this.label = label; }

    /** Prints a line of its own, first wiping the progress line if one is on screen. */
    public void println(String line) {
        if (shown > 0) out.print(" ".repeat(shown) + "\r");
        shown = 0;
        out.println(line);
        out.flush();
    }

    /** Seconds since this reporter was made. */
    public double elapsedSec() { return (clock.getAsLong() - startNanos) / 1e9; }

    static String line(String label, String unit, long done, long total, double elapsedSec) {
        double rate = elapsedSec > 0 ? done / elapsedSec : 0;
        String eta = rate > 0 ? String.format(Locale.ROOT, "%.0f s", (total - done) / rate) : "?";
        return String.format(Locale.ROOT, "%s: %d/%d %s (%.0f%%), %.2f %s/s, ETA %s", label, done, total, unit,
                total == 0 ? 100.0 : 100.0 * done / total, rate, unit, eta);
    }

}
