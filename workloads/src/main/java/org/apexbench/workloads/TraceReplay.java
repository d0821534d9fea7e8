package org.apexbench.workloads;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Replay of a trace's rows in order, optionally filtered. Filters apply in this order: time
 * window [start, end) in trace seconds (timed traces only), prompt and output length bounds,
 * the model context (rows whose prompt alone does not fit are dropped, outputs are capped at
 * context - prompt), then {@code limit} (0 = all).
 *
 * @param trace     built-in trace name or file path
 * @param scale     multiplies inter-arrival times (0.5 = twice the trace's rate)
 * @param startSec  window start in trace time
 * @param endSec    window end in trace time (infinity = to the end)
 * @param minInput  smallest prompt kept
 * @param maxInput  largest prompt kept
 * @param minOutput smallest output kept
 * @param maxOutput largest output kept
 * @param limit     most rows kept, 0 = all
 */
public record TraceReplay(String trace, double scale, double startSec, double endSec, int minInput, int maxInput,
                          int minOutput, int maxOutput, int limit) {
    public TraceReplay {
        if (!(scale > 0) || Double.isInfinite(scale)) {
            throw new WorkloadException("trace " + trace + ": scale must be a finite number > 0, got " + scale);
        }
        if (!(startSec >= 0) || !(endSec > startSec)) {
            throw new WorkloadException("trace " + trace + ": need 0 <= start < end, got start=" + startSec + " end=" + endSec);
        }
        if (minInput > maxInput || minOutput > maxOutput || limit < 0) {
            throw new WorkloadException("trace " + trace + ": empty length bounds or negative limit");
        }
    }

    public static TraceReplay of(String trace) {
        return new TraceReplay(trace, 1, 0, Double.POSITIVE_INFINITY, 1, Integer.MAX_VALUE, 1, Integer.MAX_VALUE, 0);
    }

    /** The kept rows and what was dropped or capped. */
    public record Selection(List<Trace.Row> rows, int droppedByFilters, int droppedByContext, int outputsCapped, boolean timed) {}

    public Selection select(WorkloadContext ctx) {
        Trace t = Trace.named(trace, ctx);
        if (!t.timed() && (startSec > 0 || endSec < Double.POSITIVE_INFINITY)) {
            throw new WorkloadException("trace " + trace + " has no timestamps: a time window (start/end) does not apply");
        }
        List<Trace.Row> kept = new ArrayList<>();
        int filtered = 0;
        int tooLong = 0;
        int capped = 0;
        for (Trace.Row r : t.rows()) {
            if (limit > 0 && kept.size() == limit) {
                break;
            }
            boolean inWindow = !t.timed() || (r.arrivalSec() >= startSec && r.arrivalSec() < endSec);
            if (!inWindow || r.input() < minInput || r.input() > maxInput || r.output() < minOutput || r.output() > maxOutput) {
                filtered++;
                continue;
            }
            if (r.input() >= ctx.maxContext()) {
                tooLong++;
                continue;
            }
            int out = Math.min(r.output(), ctx.maxContext() - r.input());
            if (out < r.output()) {
                capped++;
            }
            kept.add(new Trace.Row(r.arrivalSec(), r.input(), out));
        }
        if (kept.isEmpty()) {
            throw new WorkloadException("trace " + trace + ": no rows left after filtering (" + describe() + ")");
        }
        return new Selection(kept, filtered, tooLong, capped, t.timed());
    }

    public String describe() {
        StringBuilder b = new StringBuilder("trace ").append(trace);
        if (scale != 1) {
            b.append(String.format(Locale.ROOT, ", inter-arrival times x %s", scale));
        }
        if (startSec > 0 || endSec < Double.POSITIVE_INFINITY) {
            b.append(", window [").append(startSec).append(", ").append(endSec).append(") s");
        }
        if (minInput > 1 || maxInput < Integer.MAX_VALUE) {
            b.append(", prompt in [").append(minInput).append(", ").append(maxInput == Integer.MAX_VALUE ? "inf" : maxInput).append(']');
        }
        if (minOutput > 1 || maxOutput < Integer.MAX_VALUE) {
            b.append(", output in [").append(minOutput).append(", ").append(maxOutput == Integer.MAX_VALUE ? "inf" : maxOutput).append(']');
        }
        if (limit > 0) {
            b.append(", first ").append(limit).append(" rows");
        }
        return b.toString();
    }
}
