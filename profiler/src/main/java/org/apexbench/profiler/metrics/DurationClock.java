package org.apexbench.profiler.metrics;

import java.util.Arrays;
import java.util.List;

/**
 * Where the benchmark duration, the denominator of every throughput, starts. It always ends when the last
 * request returns: the last token of a completed request, the last token a failed request produced, or a
 * failed request's arrival if it produced none. Record times are seconds since the run's start, the origin of
 * the arrival schedule.
 */
public enum DurationClock {
    /**
     * From the first request's arrival (the default): the idle time before the first request, one random
     * inter-arrival gap, is not part of the service the engines are compared on. This is the duration vLLM's
     * benchmark measured while it sent request 0 at once and slept after each send.
     */
    FIRST_ARRIVAL("first-arrival"),
    /**
     * From the schedule origin, before request 0's own arrival delay: vLLM's current {@code vllm bench serve},
     * which precomputes every arrival as a delay from the moment it starts its clock.
     */
    SCHEDULE_ORIGIN("schedule-origin");

    private final String text;

    DurationClock(String text) {
        this.text = text;
    }

    /** The name used on the command line and in summary.json's {@code duration_clock}. */
    public String text() { return text; }

    public static DurationClock parse(String s) {
        for (DurationClock c : values()) {
            if (c.text.equals(s)) return c;
        }
        throw new IllegalArgumentException("duration clock must be one of " + names() + ", got '" + s + "'");
    }

    public static List<String> names() {
        return Arrays.stream(values()).map(DurationClock::text).toList();
    }
}
