package org.apexbench.engine.real;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.model.LlamaModel;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.table.MeasuredRuntime;
import org.apexbench.profiler.table.Profile;

/**
 * A measured machine's profile for the simulator (docs/validation.md): the subtask tables of {@link RealRun#sweep},
 * taken after a first, discarded sweep has let the JIT compile the kernels (a cold sweep on this machine put a
 * width-1 POST at 58 ms against 0.03 ms warm), plus the runtime's {@link MeasuredRuntime} samples: the noise of one
 * subtask, the round trip to the host-attention thread, and, when the device backend is the cpu backend (both roles
 * share the machine's cores), CPU attention beside device work and device work beside CPU attention.
 */
public final class RuntimeSweep {
    /** Samples of each runtime quantity (interleaved alone/shared rounds for the contention pairs). */
    static final int SAMPLES = 45;
    private static final int ROUNDS = 3;

    private RuntimeSweep() { }

    /** Warm-up sweep (discarded), the sweep, and the runtime samples of {@code model} with host attention on {@code host}. */
    public static Profile profile(LlamaModel model, Backend host, EngineBudgets b, DType weightType, DType kvType, int threads) {
        RealRun.sweep(model, host, b, weightType, kvType, threads);
        Profile p = RealRun.sweep(model, host, b, weightType, kvType, threads);
        return measure(p, model, host, b, kvType);
    }

    /** {@code p} with the runtime samples of this model, machine and budgets added. */
    static Profile measure(Profile p, LlamaModel model, Backend host, EngineBudgets b, DType kvType) {
        int width = Math.max(1, Math.min(16, b.maxTokensPerIteration()));
        int requests = Math.max(1, Math.min(4, Math.min(b.maxRunning(), b.maxTokensPerIteration())));
        long context = Math.min((long) b.hostKvBlocks() * b.blockSize(), requests * 64L);
        context = Math.max(context, requests);
        boolean cpuDevice = "cpu".equals(model.backend().name());
        double[] jitter, handoff;
        double[][] contention = null;
        if (cpuDevice) {
            try (CpuSubtaskTimer device = new CpuSubtaskTimer(model, host, width, 1, 32, 2048, kvType);
                 CpuSubtaskTimer cpu = new CpuSubtaskTimer(model, host, Math.max(requests, 16), requests, context, 2048, kvType)) {
                jitter = samples(device, width);
                Runnable post = device.postJob(width);
                handoff = handoff(post);
                contention = contention(post, cpu.cpuAttentionJob(requests, context));
            }
        } else {
            try (DeviceSubtaskTimer device = new DeviceSubtaskTimer(model, host, width, 1, 32, 2048, kvType)) {
                jitter = samples(device, width);
                handoff = handoff(() -> device.seconds(Op.POST, SubtaskFeatures.linear(width)));
            }
        }
        return contention == null ? MeasuredRuntime.withSamples(p, jitter, handoff, null, null, null, null)
                : MeasuredRuntime.withSamples(p, jitter, handoff, contention[0], contention[1], contention[2], contention[3]);
    }

    private static double[] samples(ModelSubtaskTimer timer, int width) {
        SubtaskFeatures f = SubtaskFeatures.linear(width);
        for (int i = 0; i < 3; i++) timer.seconds(Op.POST, f);
        double[] s = new double[SAMPLES];
        for (int i = 0; i < s.length; i++) s[i] = positive(timer.seconds(Op.POST, f));
        return s;
    }

    /**
     * Round trips of an empty job to a host-attention thread in an iteration, each after a layer's device work as in a
     * run: the host thread has been polling (yielding its core) meanwhile, and the device thread polls for the reply, so
     * a loaded machine's scheduling delays of both wake-ups are in the sample.
     */
    private static double[] handoff(Runnable deviceWork) {
        double[] s = new double[SAMPLES];
        try (HostAttentionThread t = new HostAttentionThread("runtime-sweep-host")) {
            t.beginIteration();
            for (int i = -5; i < s.length; i++) {
                deviceWork.run();
                long t0 = System.nanoTime();
                t.submit(0, () -> { });
                t.await(0);
                if (i >= 0) s[i] = positive((System.nanoTime() - t0) / 1e9);
            }
            t.endIteration();
        }
        return s;
    }

    /**
     * {cpu alone, cpu shared, device alone, device shared}: each job timed alone and while the other runs without pause
     * on a second thread, in interleaved rounds so that a change of the machine's load hits both sides alike.
     */
    private static double[][] contention(Runnable deviceJob, Runnable cpuJob) {
        for (int i = 0; i < 3; i++) {
            deviceJob.run();
            cpuJob.run();
        }
        double[][] out = new double[4][SAMPLES];
        int per = SAMPLES / ROUNDS;
        for (int r = 0; r < ROUNDS; r++) {
            int from = r * per, to = r == ROUNDS - 1 ? SAMPLES : from + per;
            time(cpuJob, null, out[0], from, to);
            time(cpuJob, deviceJob, out[1], from, to);
            time(deviceJob, null, out[2], from, to);
            time(deviceJob, cpuJob, out[3], from, to);
        }
        return out;
    }

    private static void time(Runnable job, Runnable beside, double[] into, int from, int to) {
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
        Thread other = beside == null ? null : Thread.ofPlatform().name("runtime-sweep-beside").daemon(true).start(() -> {
            running.countDown();
            while (!stop.get()) beside.run();
        });
        try {
            if (other != null) running.await();   // the other side runs before the first sample
            for (int i = from; i < to; i++) {
                long t0 = System.nanoTime();
                job.run();
                into[i] = positive((System.nanoTime() - t0) / 1e9);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("runtime sweep interrupted", e);
        } finally {
            stop.set(true);
            if (other != null) {
                try {
                    other.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static double positive(double s) { return Math.max(1e-9, s); }
}
