package org.apexbench.profiler;

import java.util.ArrayList;
import java.util.List;

/**
 * The requests of a run its engine rejected on arrival as never servable ({@link RequestRecord#rejected()}), told
 * the way the console and the HTML report tell them: how many, and why, naming the first few.
 */
public final class Rejections {
    /** How many rejected requests a description names; the rest are counted. */
    static final int NAMED = 3;

    private Rejections() { }

    /** The rejected requests of {@code requests}, in their order. */
    public static List<RequestRecord> of(List<RequestRecord> requests) {
        List<RequestRecord> out = new ArrayList<>();
        for (RequestRecord r : requests) if (r.rejected()) out.add(r);
        return out;
    }

    /**
     * "N of M requests rejected as never servable (failed): request a: why; request b: why; and K more", or null
     * when none was rejected.
     */
    public static String describe(List<RequestRecord> requests) {
        List<RequestRecord> rejected = of(requests);
        if (rejected.isEmpty()) return null;
        StringBuilder s = new StringBuilder().append(rejected.size()).append(" of ").append(requests.size())
                .append(" requests rejected as never servable (counted as failed): ");
        for (int i = 0; i < Math.min(NAMED, rejected.size()); i++) {
            RequestRecord r = rejected.get(i);
            if (i > 0) s.append("; ");
            s.append("request ").append(r.id()).append(" (prompt ").append(r.promptTokens()).append(", output ")
                    .append(r.targetOutputTokens()).append(") ").append(r.failureReason().substring(RequestRecord.REJECTED.length()));
        }
        if (rejected.size() > NAMED) s.append("; and ").append(rejected.size() - NAMED).append(" more");
        return s.toString();
    }
}
