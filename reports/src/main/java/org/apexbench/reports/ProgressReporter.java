package org.apexbench.reports;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of long work on the terminal: units done (requests of a run, runs of a sweep), rate and ETA, at
 * most once per interval of wall time. Callers call {@link #update(int, int)} as often as they like (cheap
 * when nothing is due); the signature fits a {@code java.util.function} (done, total) callback.
 */
public final class ProgressReporter {
    private final PrintWriter out;
    private final String label;
    private final String unit;
    private final long intervalNanos;
    private final LongSupplier clock;
    private final long startNanos;
    private long lastPrint;
    private boolean printed;

    public ProgressReporter(PrintWriter out, String label, String unit, double intervalSec) {
        this(out, label, unit, intervalSec, System::nanoTime);
    }

    ProgressReporter(PrintWriter out, String label, String unit, double intervalSec, LongSupplier clock) {
        this.out = out;
        this.label = label;
        this.unit = unit;
        this.intervalNanos = (long) (intervalSec * 1e9);
        this.clock = clock;
        this.startNanos = clock.getAsLong();
        this.lastPrint = startNanos;
    }

    /** Reports {@code done} of {@code total} units finished. */
    public void update(int done, int total) {
        long now = clock.getAsLong();
        if (now - lastPrint < intervalNanos && done < total) return;
        if (done >= total && !printed) return; // short work stays quiet
        lastPrint = now;
        printed = true;
        out.print(line(done, total, (now - startNanos) / 1e9) + (done >= total ? "\n" : "\r"));
        out.flush();
    }

    static String line(String label, String unit, int done, int total, double elapsedSec) {
        double rate = elapsedSec > 0 ? done / elapsedSec : 0;
        String eta = rate > 0 ? String.format(Locale.ROOT, "%.0f s", (total - done) / rate) : "?";
        return String.format(Locale.ROOT, "%s: %d/%d %s (%.0f%%), %.2f %s/s, ETA %s", label, done, total, unit,
                total == 0 ? 100.0 : 100.0 * done / total, rate, unit, eta);
    }

    private String line(int done, int total, double elapsedSec) { return line(label, unit, done, total, elapsedSec); }
}
