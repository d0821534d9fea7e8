package org.apexbench.reports;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of a long run on the terminal: requests done, rate and ETA, at most once per interval of wall
 * time. The engine loop calls {@link #update(int, int)} after each iteration (cheap when nothing is due).
 */
public final class ProgressReporter {
    private final PrintStream out;
    private final String label;
    private final long intervalNanos;
    private final LongSupplier clock;
    private final long startNanos;
    private long lastPrint;
    private boolean printed;

    public ProgressReporter(PrintStream out, String label, double intervalSec) {
        this(out, label, intervalSec, System::nanoTime);
    }

    ProgressReporter(PrintStream out, String label, double intervalSec, LongSupplier clock) {
        this.out = out;
        this.label = label;
        this.intervalNanos = (long) (intervalSec * 1e9);
        this.clock = clock;
        this.startNanos = clock.getAsLong();
        this.lastPrint = startNanos;
    }

    /** Reports {@code done} of {@code total} requests finished. */
    public void update(int done, int total) {
        long now = clock.getAsLong();
        if (now - lastPrint < intervalNanos && done < total) return;
        if (done >= total && !printed) return; // short runs stay quiet
        lastPrint = now;
        printed = true;
        out.print(line(done, total, (now - startNanos) / 1e9) + (done >= total ? "\n" : "\r"));
        out.flush();
    }

    static String line(String label, int done, int total, double elapsedSec) {
        double rate = elapsedSec > 0 ? done / elapsedSec : 0;
        String eta = rate > 0 ? String.format(Locale.ROOT, "%.0f s", (total - done) / rate) : "?";
        return String.format(Locale.ROOT, "%s: %d/%d requests (%.0f%%), %.1f req/s, ETA %s", label, done, total,
                total == 0 ? 100.0 : 100.0 * done / total, rate, eta);
    }

    private String line(int done, int total, double elapsedSec) { return line(label, done, total, elapsedSec); }
}
