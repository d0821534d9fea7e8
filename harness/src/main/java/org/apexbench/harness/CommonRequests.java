package org.apexbench.harness;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.apexbench.workloads.RequestSpec;

/**
 * The requests a capacity cell compares its engines on (docs/capacity.md, "Same requests"): the workload's requests in
 * the order they are drawn, less every request that some engine of the cell would reject as never servable, so each
 * engine's rate is over the same work. A probe of {@code n} requests at rate r draws the workload at r until it holds
 * {@code n} servable requests and gives the i-th of them the arrival time of the workload's own i-th request (lengths
 * and arrivals are independent random streams): its offered rate is r, and in a cell where every engine can serve
 * every request it runs exactly the workload's first {@code n} requests. Whether an engine can serve a request depends
 * on the request's lengths alone, so which drawn positions are kept is decided once per cell, before any run; only
 * those positions are held, not the requests.
 */
final class CommonRequests {
    /** The most requests drawn per request kept: beyond it a workload is mostly unservable and the cell is refused. */
    static final int MAX_DRAWN_PER_KEPT = 16;

    private final String what;
    private final Map<String, Function<RequestSpec, String>> rejection;
    private final int[] rejectedOfFirst;
    private final int full;
    /** Draw positions of the requests every engine can serve, in draw order, among the first {@code scanned} drawn. */
    private int[] kept = new int[0];
    private int scanned;
    private boolean exhausted;

    /**
     * @param what      the cell, for messages
     * @param full      the workload's request count N: {@link #rejected} counts over its first N requests
     * @param rejection per engine (in the cell's order), why it would reject a request as never servable, or null
     * @param draw      the workload's first {@code m} requests at some rate (fewer only when a trace has no more rows)
     */
    CommonRequests(String what, int full, Map<String, Function<RequestSpec, String>> rejection, Function<Integer, List<RequestSpec>> draw) {
        this.what = what;
        this.full = full;
        this.rejection = new LinkedHashMap<>(rejection);
        this.rejectedOfFirst = new int[rejection.size()];
        scan(draw, full, true);
    }

    /** How many of the workload's first N requests (the full workload) {@code engine} rejects as never servable. */
    int rejected(String engine) {
        int i = 0;
        for (String e : rejection.keySet()) {
            if (e.equals(engine)) return rejectedOfFirst[i];
            i++;
        }
        throw new IllegalArgumentException(what + ": no engine " + engine + " in the cell");
    }

    /** Drawn requests left out of a run of {@code n} requests: those before its n-th servable one that some engine rejects. */
    synchronized int removed(int n) { return drawnFor(n) - n; }

    /**
     * How many requests must be drawn to hold {@code n} that every engine can serve; {@code draw} gives the workload's
     * first m requests. Refused, naming the cell and each engine's rejections, when the workload has too few.
     */
    synchronized int drawnFor(int n, Function<Integer, List<RequestSpec>> draw) {
        int m = Math.max(n, scanned);
        while (kept.length < n) {
            if (exhausted || m >= (long) MAX_DRAWN_PER_KEPT * n) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: only %d of the workload's first %d requests can "
                        + "be served by every engine (of its first %d, %s), and a run needs %d: lower --requests or leave out the "
                        + "engine that rejects them", what, kept.length, scanned, full, rejectedText(), n));
            }
            m = (int) Math.min((long) MAX_DRAWN_PER_KEPT * n, 2L * m);
            scan(draw, m, false);
        }
        return kept[n - 1] + 1;
    }

    private int drawnFor(int n) {
        if (kept.length < n) throw new IllegalStateException(what + ": " + n + " requests asked before they were drawn");
        return kept[n - 1] + 1;
    }

    /**
     * The run of {@code n} requests: from {@code drawn}, the workload's first {@link #drawnFor} requests at the probe's
     * rate, the first {@code n} every engine can serve, the i-th arriving at the i-th drawn request's time.
     */
    synchronized List<RequestSpec> select(int n, List<RequestSpec> drawn) {
        if (drawn.size() < drawnFor(n)) throw new IllegalStateException(what + ": " + drawn.size() + " requests drawn, "
                + drawnFor(n) + " needed");
        List<RequestSpec> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            RequestSpec r = drawn.get(kept[i]);
            out.add(new RequestSpec(r.id(), drawn.get(i).arrivalSec(), r.promptTokens(), r.outputTokens(), r.sampling()));
        }
        return out;
    }

    /** Draws the workload's first {@code m} requests and keeps the positions every engine can serve. */
    private void scan(Function<Integer, List<RequestSpec>> draw, int m, boolean countFull) {
        List<RequestSpec> drawn = draw.apply(m);
        exhausted = drawn.size() < m;
        int[] k = new int[drawn.size()];
        int count = 0;
        for (int i = 0; i < drawn.size(); i++) {
            boolean servable = true;
            int e = 0;
            for (Function<RequestSpec, String> why : rejection.values()) {
                if (why.apply(drawn.get(i)) != null) {
                    servable = false;
                    if (countFull && i < full) rejectedOfFirst[e]++;
                }
                e++;
            }
            if (servable) k[count++] = i;
        }
        kept = java.util.Arrays.copyOf(k, count);
        scanned = drawn.size();
    }

    private String rejectedText() {
        List<String> parts = new ArrayList<>();
        int i = 0;
        for (String e : rejection.keySet()) parts.add(e + " rejects " + rejectedOfFirst[i++]);
        return String.join(", ", parts);
    }
}
