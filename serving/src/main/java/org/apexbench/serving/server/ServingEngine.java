package org.apexbench.serving.server;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

import org.apexbench.engine.Engine;
import org.apexbench.engine.EngineBudgets;
import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.engine.runtime.EngineLoop;
import org.apexbench.engine.runtime.OnlineRequests;
import org.apexbench.engine.predict.Predictor;
import org.apexbench.engine.runtime.RecordOptions;
import org.apexbench.model.LlamaModel;
import org.apexbench.model.LlamaWeights;
import org.apexbench.engine.real.RealExecutor;
import org.apexbench.engine.real.RealRun;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.Backends;
import org.apexbench.kernels.DType;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.table.Profile;
import org.apexbench.workloads.RequestSpec;

/**
 * One engine serving online requests: a thread of its own opens the backends and the model, takes (or sweeps)
 * the profile its scheduler predicts from, and runs the normal engine loop over an {@link OnlineRequests} source
 * (continuous batching across every request submitted, from any thread) with the real executor, until closed.
 * The model and backends live and die on that thread (a CUDA context belongs to the thread that made it).
 * If the loop fails, every request in flight is told why and new ones are refused; the process goes on.
 */
public final class ServingEngine implements AutoCloseable {
    /**
     * @param engine  the engine (scheduler and host runtime)
     * @param backend "cpu" or "cuda": where the model runs; host attention runs on a cpu backend
     * @param threads workers of each cpu backend (0: all processors)
     * @param weights loads the weights onto the device backend
     * @param profile what the scheduler predicts from, or null to sweep this machine at start-up
     */
    public record Setup(Engine engine, String backend, int threads, Function<Backend, LlamaWeights> weights, DType weightType,
                        EngineBudgets budgets, Profile profile, DType kvType) {}

    private final Setup setup;
    private final OnlineRequests online = new OnlineRequests();
    private final Set<TokenStream> active = ConcurrentHashMap.newKeySet();
    private final CountDownLatch ready = new CountDownLatch(1);
    private final Consumer<IterationRecord> iterations;
    private final Thread thread;
    private volatile EngineLoop loop;
    private volatile ModelGeometry geometry;
    private volatile RealExecutor executor;
    private volatile String device;
    private volatile int vocabSize;
    private volatile Throwable failure;

    private ServingEngine(Setup setup, Consumer<IterationRecord> iterations) {
        this.setup = setup;
        this.iterations = iterations;
        this.thread = new Thread(this::run, "apex-engine-loop");
        thread.setDaemon(true);
    }

    /**
     * Starts the engine and returns once it serves (after loading the model and sweeping the profile); a failure to
     * start is thrown here with its reason.
     *
     * @param iterations told every iteration's record on the loop's thread (metrics); must be quick
     */
    public static ServingEngine start(Setup setup, Consumer<IterationRecord> iterations) {
        RealRun.checkSupported(setup.backend(), setup.kvType());
        ServingEngine e = new ServingEngine(setup, iterations);
        e.thread.start();
        try {
            e.ready.await();
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            e.close();
            throw new IllegalStateException("interrupted while the engine was starting");
        }
        if (e.loop == null) {
            Throwable f = e.failure;
            if (f instanceof RuntimeException re) throw re;
            throw new IllegalStateException("the engine failed to start: " + f, f);
        }
        return e;
    }

    private void run() {
        Setup s = setup;
        try (Backend dev = Backends.open(s.backend(), s.threads());
             Backend host = Backends.open("cpu", s.threads());
             LlamaModel model = new LlamaModel(s.weights().apply(dev), dev)) {
            Predictor predictor = RealRun.predictor(model, host, s.budgets(), s.profile(), s.weightType(), s.kvType(), s.threads());
            try (RealExecutor exec = new RealExecutor(model, host, s.budgets(), s.kvType(), s.engine().launchSecPerStage(), null)) {
                executor = exec;
                geometry = exec.geometry();
                device = dev.describe();
                vocabSize = model.config().vocabSize();
                loop = new EngineLoop(s.engine(), exec, s.backend(), exec.geometry(), s.budgets(), predictor, RecordOptions.NONE, true);
                ready.countDown();
                loop.serve(online, iterations);
            }
        } catch (Throwable t) {
            failure = t;
            online.close();
            String why = "the engine failed: " + (t.getMessage() != null ? t.getMessage() : t.toString());
            for (TokenStream stream : active) stream.fail(why);
        } finally {
            ready.countDown();
        }
    }

    /** The clock token times are on. */
    public OnlineRequests requests() { return online; }

    public ModelGeometry geometry() { return geometry; }

    public String engineId() { return setup.engine().id(); }

    public String engineDescription() { return setup.engine().description(); }

    public EngineBudgets budgets() { return setup.budgets(); }

    public int vocabSize() { return vocabSize; }

    /** The device backend's description. */
    public String device() { return device; }

    /** Why the loop stopped, or null while it serves. */
    public Throwable failure() { return failure; }

    /** Seconds on the engine's clock. */
    public double now() { return online.now(); }

    /** Throws an {@link org.apexbench.engine.InfeasibleRequestException} if the engine could never serve {@code spec}, even alone. */
    public void checkFeasible(RequestSpec spec) { loop.checkFeasible(List.of(spec)); }

    /**
     * Submits a request; {@code stream} hears its tokens. Refused (IllegalStateException) while shutting down or
     * after a failure.
     */
    public OnlineRequests.Ticket submit(RequestSpec spec, TokenStream stream) {
        if (failure != null) throw new IllegalStateException("the engine failed: " + failure.getMessage());
        active.add(stream);
        stream.onEnd(() -> {
            active.remove(stream);
            RealExecutor e = executor;
            if (e != null) e.forget(spec.id());
        });
        try {
            OnlineRequests.Ticket t = online.submit(spec, stream);
            if (failure != null) stream.fail("the engine failed: " + failure.getMessage());
            return t;
        } catch (IllegalStateException e) {
            active.remove(stream);
            throw e;
        }
    }

    /** Cancels whatever is in flight, stops the loop and frees the model, waiting at most {@code timeoutSec}. */
    public void close(double timeoutSec) {
        online.cancelAll();
        online.close();
        try {
            thread.join(Math.max(1, (long) (timeoutSec * 1000)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() { close(30); }

    /** Whether the loop thread has ended. */
    public boolean stopped() { return !thread.isAlive(); }

    /** Waits for the loop thread to end. */
    public boolean awaitStopped(long timeout, TimeUnit unit) throws InterruptedException {
        thread.join(unit.toMillis(timeout));
        return !thread.isAlive();
    }
}
