package org.apexbench.engine.runtime;

import org.apexbench.engine.RequestState;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A run's workload as the loop's request source: open loop (each request arrives at its spec's time, the clock
 * jumps over idle gaps) or closed loop ({@code concurrency} clients, each sending its next request in list order
 * when its previous one finishes; the arrival recorded is that moment). A request the engine can never serve is
 * rejected as it arrives: it never enters the loop's queue and counts as returned at once (its client's slot frees).
 */
final class WorkloadRequests implements RequestSource {
    private final List<TrackedRequest> all;
    private final List<TrackedRequest> byArrival;
    private final String[] rejections;
    private final boolean closed;
    private final int concurrency;
    private final EngineLoop.Progress progress;
    private int next;
    private int finished;

    /** {@code all}: the run's requests, each at its index; {@code rejections}: by index, why one is rejected, or null. */
    WorkloadRequests(List<TrackedRequest> all, String[] rejections, int closedLoopConcurrency, EngineLoop.Progress progress) {
        this.all = all;
        this.rejections = rejections;
        this.byArrival = new ArrayList<>(all);
        this.closed = closedLoopConcurrency > 0;
        this.concurrency = closedLoopConcurrency;
        this.progress = progress;
        if (!closed) {
            byArrival.sort(Comparator.comparingDouble((TrackedRequest r) -> r.spec().arrivalSec()).thenComparingInt(TrackedRequest::index));
        }
    }

    @Override
    public double origin() { return byArrival.isEmpty() || closed ? 0 : byArrival.get(0).spec().arrivalSec(); }

    @Override
    public void admit(double now, List<TrackedRequest> waiting) {
        if (closed) {
            while (next < byArrival.size() && next - finished < concurrency) {
                TrackedRequest r = byArrival.get(next++);
                r.arriveAt(now);
                arrive(r, waiting);
            }
        } else {
            while (next < byArrival.size() && byArrival.get(next).spec().arrivalSec() <= now) arrive(byArrival.get(next++), waiting);
        }
    }

    private void arrive(TrackedRequest r, List<TrackedRequest> waiting) {
        if (rejections[r.index()] == null) waiting.add(r);
        else returned();
    }

    /** A closed loop's clients send as soon as a request finishes, so only an open loop has arrivals to wait for. */
    @Override
    public double nextArrival(double now) {
        return !closed && next < byArrival.size() ? byArrival.get(next).spec().arrivalSec() : Double.NaN;
    }

    @Override
    public TrackedRequest tracked(RequestState r) {
        int i = r.index();
        return i >= 0 && i < all.size() && all.get(i) == r ? all.get(i) : null;
    }

    @Override
    public void finished(TrackedRequest r, double timeSec) { returned(); }

    /** One more request is back with its client: finished or rejected. */
    private void returned() {
        finished++;
        if (progress != null) progress.update(finished, byArrival.size());
    }
}
