package org.apexbench.harness;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apexbench.workloads.RequestSpec;

/**
 * The requests a capacity cell compares its engines on (docs/capacity.md, "Same requests"): the workload's requests in
 * the order they are drawn, less every request that some engine of the cell would reject as never servable, so each
 * engine's rate is over the same work. A probe of {@code n} requests at rate r gives the first {@code n} of them the
 * arrival times of the workload's own first {@code n} requests at r (lengths and arrivals are independent random
 * streams): its offered rate is r, and in a cell where every engine can serve every request it runs exactly the
 * workload's requests. Whether an engine can serve a request depends on the request's lengths alone, so the selection
 * is made once per cell, before any run.
 */
final class CommonRequests {
    /** The most requests drawn per request kept: beyond it a workload is mostly unservable and the cell is refused. */
    static final int MAX_DRAWN_PER_KEPT = 16;

    private final String what;
    private final Function<Integer, List<RequestSpec>> draw;
    private final Map<String, Function<RequestSpec, String>> rejection;
    private List<RequestSpec> drawn = List.of();
    private boolean exhausted;
    private final Map<Integer, Selection> selections = new java.util.HashMap<>();

    /**
     * @param what      the cell, for messages
     * @param draw      the workload's first {@code m} requests (fewer only when a trace has no more rows)
     * @param rejection per engine (in the cell's order), why it would reject a request as never servable, or null
     */
    CommonRequests(String what, Function<Integer, List<RequestSpec>> draw, Map<String, Function<RequestSpec, String>> rejection) {
        this.what = what;
        this.draw = draw;
        this.rejection = new LinkedHashMap<>(rejection);
    }

    /**
     * The first {@code n} requests every engine can serve, and how many were drawn to find them.
     *
     * @param requests the requests, in draw order, with their drawn arrival times (a probe replaces them)
     * @param drawn    requests drawn up to the last one kept: {@code drawn - n} were removed
     */
    record Selection(List<RequestSpec> requests, int drawn) {
        int removed() { return drawn - requests.size(); }
    }

    /** The first {@code n} requests every engine of the cell can serve; refused, naming the cell, when the workload has too few. */
    synchronized Selection first(int n) {
        Selection known = selections.get(n);
        if (known != null) return known;
        int m = Math.max(n, drawn.size());
        while (true) {
            if (drawn.size() < m && !exhausted) {
                drawn = List.copyOf(draw.apply(m));
                exhausted = drawn.size() < m;
            }
            List<RequestSpec> kept = new ArrayList<>(n);
            int i = 0;
            for (; i < drawn.size() && kept.size() < n; i++) if (servable(drawn.get(i))) kept.add(drawn.get(i));
            if (kept.size() == n) {
                Selection found = new Selection(List.copyOf(kept), i);
                selections.put(n, found);
                return found;
            }
            if (exhausted || m >= (long) MAX_DRAWN_PER_KEPT * n) {
                throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "%s: only %d of the workload's first %d "
                        + "requests can be served by every engine (%s), and the comparison needs %d (--requests): lower --requests or "
                        + "leave out the engine that rejects them", what, kept.size(), drawn.size(), rejectedText(drawn.size()), n));
            }
            m = (int) Math.min((long) MAX_DRAWN_PER_KEPT * n, 2L * m);
        }
    }

    /** How many of the workload's first {@code n} requests (the full workload) {@code engine} rejects as never servable. */
    synchronized int rejected(String engine, int n) {
        if (drawn.size() < n) first(n);
        Function<RequestSpec, String> why = rejection.get(engine);
        if (why == null) throw new IllegalArgumentException(what + ": no engine " + engine + " in the cell");
        int count = 0;
        for (int i = 0; i < Math.min(n, drawn.size()); i++) if (why.apply(drawn.get(i)) != null) count++;
        return count;
    }

    /**
     * The first {@code arrivals.size()} requests every engine can serve, the i-th arriving at the i-th of
     * {@code arrivals}' times (sorted).
     */
    List<RequestSpec> arrivingAt(List<RequestSpec> arrivals) {
        List<RequestSpec> common = first(arrivals.size()).requests();
        List<RequestSpec> out = new ArrayList<>(arrivals.size());
        for (int i = 0; i < arrivals.size(); i++) {
            RequestSpec r = common.get(i);
            out.add(new RequestSpec(r.id(), arrivals.get(i).arrivalSec(), r.promptTokens(), r.outputTokens(), r.sampling()));
        }
        return out;
    }

    private boolean servable(RequestSpec r) {
        for (Function<RequestSpec, String> why : rejection.values()) if (why.apply(r) != null) return false;
        return true;
    }

    private String rejectedText(int n) {
        List<String> parts = new ArrayList<>();
        for (String e : rejection.keySet()) parts.add(e + " rejects " + rejected(e, n));
        return String.join(", ", parts);
    }
}
