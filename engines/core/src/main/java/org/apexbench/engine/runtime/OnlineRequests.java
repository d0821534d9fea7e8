package org.apexbench.engine.runtime;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apexbench.engine.RequestState;
import org.apexbench.workloads.RequestSpec;

/**
 * Requests that arrive while the engine loop runs ({@link EngineLoop#serve}): any thread submits a request with a
 * listener and may cancel it; the loop's thread admits it at its next turn, tells the listener each token as the
 * iteration that produced it ends, and frees a cancelled request's KV before its next plan. The clock is the wall
 * clock in seconds since this object was made, which the loop hands to the executor as its run clock.
 *
 * <p>Listeners are called on the loop's thread between iterations: they must return quickly and never block (a
 * server hands the event to the thread that writes the response). A listener that throws has its request
 * cancelled; the loop goes on.
 */
public final class OnlineRequests implements RequestSource {
    /** What becomes of one request, told on the loop's thread. */
    public interface Listener {
        /**
         * Output token {@code index} (0-based) is {@code tokenId}, produced at {@code timeSec} on {@link #now()}'s clock.
         * Returns false when the request is complete with this token before its target length (an end-of-sequence
         * token): the loop then takes it out at its next turn, freeing its KV, and tells this listener nothing more.
         */
        boolean token(int index, int tokenId, double timeSec);

        /** The request produced all its tokens and left the loop. */
        void finished(double timeSec);

        /** The request left the loop before its last token: {@link Ticket#cancel()} or {@link #cancelAll()}. */
        void cancelled();
    }

    /** One submitted request: its id and how to cancel it. */
    public final class Ticket {
        private final RequestSpec spec;
        private final Listener listener;
        private TrackedRequest state;   // loop thread only: set when admitted
        private boolean told;         // loop thread only: the listener heard how the request ended
        private boolean out;          // loop thread only: the request left the loop

        private Ticket(RequestSpec spec, Listener listener) {
            this.spec = spec;
            this.listener = listener;
        }

        public String id() { return spec.id(); }

        /** Takes the request out of the loop at its next turn, freeing its KV; idempotent, any thread. */
        public void cancel() {
            synchronized (lock) {
                cancelRequests.add(this);
                lock.notifyAll();
            }
        }
    }

    /** The loop's queues and pools as of its latest turn. */
    public record State(int waiting, int running, int gpuBlocksUsed, int gpuBlocks, int hostBlocksUsed, int hostBlocks) {}

    private final long originNanos = System.nanoTime();
    private final Object lock = new Object();
    private final ArrayDeque<Ticket> arrived = new ArrayDeque<>();          // guarded by lock
    private final Set<Ticket> cancelRequests = new LinkedHashSet<>();       // guarded by lock
    private boolean closed;                                                 // guarded by lock
    private boolean cancelAdmitted;                                         // guarded by lock: cancelAll() of the loop's requests
    private final Map<TrackedRequest, Ticket> admitted = new IdentityHashMap<>();   // loop thread only
    private long index;                                                     // loop thread only
    private volatile State state = new State(0, 0, 0, 0, 0, 0);

    /** Seconds since this object was made (the run clock). */
    public double now() { return (System.nanoTime() - originNanos) / 1e9; }

    /**
     * Queues {@code spec} (its arrival time should be {@link #now()}); the listener hears of it from the loop's
     * thread. Refused once {@link #close()}d.
     */
    public Ticket submit(RequestSpec spec, Listener listener) {
        Ticket t = new Ticket(spec, listener);
        synchronized (lock) {
            if (closed) throw new IllegalStateException("the engine loop is shutting down and takes no new request");
            arrived.add(t);
            lock.notifyAll();
        }
        return t;
    }

    /** No more submissions; the loop's {@code serve} returns once every request it holds has finished or been cancelled. */
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
    }

    /** Cancels every request queued or in the loop now. */
    public void cancelAll() {
        synchronized (lock) {
            cancelRequests.addAll(arrived);
            cancelAdmitted = true;
            lock.notifyAll();
        }
    }

    /** Requests waiting (queued here or in the loop's queue) and running, and both pools' use, as of the loop's latest turn. */
    public State state() {
        State s = state;
        int queued;
        synchronized (lock) {
            queued = arrived.size();
        }
        return new State(s.waiting() + queued, s.running(), s.gpuBlocksUsed(), s.gpuBlocks(), s.hostBlocksUsed(), s.hostBlocks());
    }

    // ---- the loop's side ----

    @Override
    public double origin() { return now(); }

    @Override
    public void admit(double now, List<TrackedRequest> waiting) {
        List<Ticket> batch;
        synchronized (lock) {
            if (arrived.isEmpty()) return;
            batch = new ArrayList<>(arrived);
            arrived.clear();
        }
        for (Ticket t : batch) {
            TrackedRequest r = new TrackedRequest(t.spec, Math.toIntExact(index++), true);
            t.state = r;
            admitted.put(r, t);
            waiting.add(r);
        }
    }

    @Override
    public double nextArrival(double now) {
        synchronized (lock) {
            while (arrived.isEmpty() && cancelRequests.isEmpty() && !closed && !cancelAdmitted) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Double.NaN;
                }
            }
            if (arrived.isEmpty() && cancelRequests.isEmpty() && closed) return Double.NaN;
        }
        return Math.max(now, now());
    }

    @Override
    public List<TrackedRequest> cancellations() {
        List<Ticket> cancel;
        boolean all;
        synchronized (lock) {
            if (cancelRequests.isEmpty() && !cancelAdmitted) return List.of();
            cancel = new ArrayList<>(cancelRequests);
            cancelRequests.clear();
            arrived.removeAll(cancel);
            all = cancelAdmitted;
            cancelAdmitted = false;
        }
        if (all) cancel.addAll(admitted.values());
        List<TrackedRequest> drop = new ArrayList<>();
        for (Ticket t : cancel) {
            if (t.out) continue;
            t.out = true;
            if (t.state != null) {
                admitted.remove(t.state);
                drop.add(t.state);
            }
            if (t.told) continue;
            t.told = true;
            try {
                t.listener.cancelled();
            } catch (RuntimeException e) {
                // the request is gone either way
            }
        }
        return drop;
    }

    @Override
    public void observe(int waiting, int running, BlockPool gpuPool, BlockPool hostPool) {
        state = new State(waiting, running, gpuPool.used(), gpuPool.capacity(), hostPool.used(), hostPool.capacity());
    }

    @Override
    public void token(TrackedRequest r, int tokenId, double timeSec) {
        Ticket t = admitted.get(r);
        if (t == null || t.told) return;
        boolean more;
        try {
            more = t.listener.token(r.generated() - 1, tokenId, timeSec);
        } catch (RuntimeException e) {
            more = false;
        }
        if (!more && !r.finished()) {
            t.told = true;
            t.cancel();
        }
    }

    @Override
    public TrackedRequest tracked(RequestState r) {
        return r instanceof TrackedRequest t && admitted.containsKey(t) ? t : null;
    }

    @Override
    public void finished(TrackedRequest r, double timeSec) {
        Ticket t = admitted.remove(r);
        if (t == null) return;
        t.out = true;
        if (t.told) return;
        t.told = true;
        try {
            t.listener.finished(timeSec);
        } catch (RuntimeException e) {
            // finished already: nothing to free
        }
    }
}
