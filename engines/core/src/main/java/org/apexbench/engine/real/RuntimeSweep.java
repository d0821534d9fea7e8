package org.apexbench.engine.real;

import java.util.HashMap;
import java.util.Map;

import org.apexbench.engine.EngineBudgets;
import org.apexbench.kernels.Backend;
import org.apexbench.kernels.DType;
import org.apexbench.model.LlamaModel;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.table.MeasuredRuntime;
import org.apexbench.profiler.table.Profile;
import org.apexbench.profiler.table.ProfileTable;

/**
 * A measured machine's profile for the simulator (docs/validation.md): the subtask tables of {@link RealRun#sweep},
 * taken after a first, discarded sweep has let the JIT compile the kernels (a cold sweep on this machine put a
 * width-1 POST at 58 ms against 0.03 ms warm), as the cell-wise lower of three further sweeps' medians: the process
 * falls, at random moments, into a compiled state that runs POST about 5 times slower for a stretch of cells, sometimes
 * a whole sweep (on a quiet machine, in 8 profiles of tiny-llama3: in 4 of the first measured sweeps, in the same cells of
 * the first two in 1, of all three in none; one validation's profile kept POST at widths 1 to 32 at 5 to 8 times its
 * time in the runs from two sweeps), plus the runtime's {@link MeasuredRuntime} samples: the noise of one subtask and
 * its reference, the round trip to the host-attention thread, and, when the device backend is the cpu backend (both
 * roles share the machine's cores), CPU attention beside device work and device work beside CPU attention.
 */
public final class RuntimeSweep {
    /** Samples of each runtime quantity (interleaved alone/shared rounds for the contention pairs). */
    static final int SAMPLES = 45;
    /**
     * Shortest time one sample spans: a sample is the mean of as many back-to-back runs as take this long. On a loaded
     * machine the tail is descheduling, a few events of ~10 ms per second of wall time; 45 single runs of a 0.2 ms
     * subtask span 9 ms and catch none or several of them (the mean / median of five successive profiles' POST samples
     * of tiny-llama3 ranged from 1.5 to 6.5), 45 samples of at least 10 ms span half a second.
     */
    static final double MIN_SAMPLE_SEC = 0.010;
    private static final int ROUNDS = 3;
    /** Spans of {@link #MIN_SAMPLE_SEC} run and discarded before the noise samples. */
    private static final int DISCARDED_SPANS = 3;

    private RuntimeSweep() { }

    /** Measured sweeps whose cell-wise lower the tables keep. */
    static final int SWEEPS = 3;

    /**
     * Warm-up sweep (discarded), {@link #SWEEPS} sweeps (the tables keep each cell's lowest), and the runtime samples of
     * {@code model} with host attention on {@code host}.
     */
    public static Profile profile(LlamaModel model, Backend host, EngineBudgets b, DType weightType, DType kvType, int threads) {
        RealRun.sweep(model, host, b, weightType, kvType, threads);
        Profile p = RealRun.sweep(model, host, b, weightType, kvType, threads);
        for (int i = 1; i < SWEEPS; i++) p = lower(p, RealRun.sweep(model, host, b, weightType, kvType, threads));
        return measure(p, model, host, b, kvType);
    }

    /**
     * {@code a} with each cell of the tables both hold the lower of its and {@code b}'s (same grid): a sweep cell that the
     * JIT or a descheduling slowed down in one sweep is taken from the other; the measured noise adds the machine's tail
     * back in the simulator. Tables only {@code a} holds (its runtime samples) are kept.
     */
    static Profile lower(Profile a, Profile b) {
        Map<String, ProfileTable> tables = new HashMap<>(a.tables());
        for (var e : a.tables().entrySet()) {
            ProfileTable other = b.tables().get(e.getKey());
            if (other == null) continue;
            try {
                tables.put(e.getKey(), e.getValue().combine(other, Math::min));
            } catch (IllegalArgumentException differ) {
                throw new IllegalArgumentException("profile table '" + e.getKey() + "': the two sweeps' grids differ", differ);
            }
        }
        return new Profile(a.fingerprint(), tables, Math.min(a.launchSecPerKernel(), b.launchSecPerKernel()), a.measuredWith());
    }

    /** {@code p} with the runtime samples of this model, machine and budgets added. */
    static Profile measure(Profile p, LlamaModel model, Backend host, EngineBudgets b, DType kvType) {
        int width = Math.max(1, Math.min(16, b.maxTokensPerIteration()));
        int requests = Math.max(1, Math.min(4, Math.min(b.maxRunning(), b.maxTokensPerIteration())));
        long context = Math.min((long) b.hostKvBlocks() * b.blockSize(), requests * 64L);
        context = Math.max(context, requests);
        boolean cpuDevice = "cpu".equals(model.backend().name());
        double[] jitter, reference = new double[SAMPLES], handoff;
        double[][] contention = null, twoThread = null;
        if (cpuDevice) {
            try (CpuSubtaskTimer device = new CpuSubtaskTimer(model, host, width, 1, 32, 2048, kvType);
                 CpuSubtaskTimer beside = new CpuSubtaskTimer(model, host, 1, 1, 32, 2048, kvType);
                 CpuSubtaskTimer cpu = new CpuSubtaskTimer(model, host, Math.max(requests, 16), requests, context, 2048, kvType)) {
                jitter = samples(device, width, reference);
                Runnable post = device.postJob(width);
                handoff = handoff(post);
                Runnable attention = cpu.cpuAttentionJob(requests, context);
                contention = contention(post, attention);
                twoThread = twoThreadLayers(post, beside.postJob(1), attention);
            }
        } else {
            try (DeviceSubtaskTimer device = new DeviceSubtaskTimer(model, host, width, 1, 32, 2048, kvType)) {
                jitter = samples(device, width, reference);
                handoff = handoff(() -> device.seconds(Op.POST, SubtaskFeatures.linear(width)));
            }
        }
        Profile out = contention == null ? MeasuredRuntime.withSamples(p, jitter, reference, handoff, null, null, null, null)
                : MeasuredRuntime.withSamples(p, jitter, reference, handoff, contention[0], contention[1], contention[2], contention[3]);
        if (twoThread == null) return out;
        out = MeasuredRuntime.withTwoThreadSamples(out, twoThread[0], twoThread[1], twoThread[2], twoThread[3], twoThread[6], twoThread[7]);
        return MeasuredRuntime.withOverlapSamples(out, twoThread[4], twoThread[5]);
    }

    /**
     * The runtime samples of {@code p} taken again now, on the same model, machine and budgets (its tables and per-iteration
     * calibration kept): {@code apex validate} brackets each real run with them, so that the simulated side meets the
     * machine's load of that moment.
     */
    public static Profile resample(Profile p, LlamaModel model, Backend host, EngineBudgets b, DType kvType) {
        return measure(p, model, host, b, kvType);
    }

    /**
     * The noise samples of POST of layer 0 at {@code width} run back to back, each the mean of runs spanning {@link #MIN_SAMPLE_SEC}, after
     * {@link #DISCARDED_SPANS} such spans discarded (in a profile on a quiet machine the first two samples after the sweep
     * measured 8 to 10 times the rest); into {@code reference}, each span's median single run: what the sample would be
     * without the load's tail, the same code in the same compiled state (a separate set of single runs before the samples,
     * on a quiet machine, measured 1.5 times the samples after them: the state after the sweep still settling).
     */
    private static double[] samples(ModelSubtaskTimer timer, int width, double[] reference) {
        Runnable post = timer.postJob(width);
        double probe = 0;
        for (int i = 0; i < 3; i++) probe = timer.deviceSeconds(post);
        int k = runsPerSample(probe);
        for (int j = 0; j < DISCARDED_SPANS * k; j++) timer.deviceSeconds(post);
        double[] s = new double[SAMPLES], runs = new double[k];
        for (int i = 0; i < s.length; i++) {
            double sum = 0;
            for (int j = 0; j < k; j++) {
                runs[j] = timer.deviceSeconds(post);
                sum += runs[j];
            }
            s[i] = positive(sum / k);
            reference[i] = positive(MeasuredRuntime.median(runs));
        }
        return s;
    }

    /** Runs per sample of a job that took {@code probeSec} once: enough to span {@link #MIN_SAMPLE_SEC}. */
    static int runsPerSample(double probeSec) {
        return (int) Math.max(1, Math.min(100_000, Math.ceil(MIN_SAMPLE_SEC / Math.max(1e-7, probeSec))));
    }

    /**
     * Round trips of an empty job to a host-attention thread in an iteration, each after a layer's device work as in a
     * run: the host thread has been polling (yielding its core) meanwhile, and the device thread polls for the reply, so
     * a loaded machine's scheduling delays of both wake-ups are in the sample.
     */
    private static double[] handoff(Runnable deviceWork) {
        double[] s = new double[SAMPLES];
        try (HostAttentionThread t = new HostAttentionThread("runtime-sweep-host")) {
            int k = warmUpLayers(t, deviceWork, () -> { });
            for (int i = 0; i < s.length; i++) {
                long trips = 0;
                for (int j = 0; j < k; j++) {
                    deviceWork.run();
                    long t0 = System.nanoTime();
                    t.submit(0, () -> { });
                    t.await(0);
                    trips += System.nanoTime() - t0;
                }
                s[i] = positive(trips / 1e9 / k);
            }
            t.endIteration();
        }
        return s;
    }

    /**
     * {device work, host work, wait, host work alone, pickup, return, device work's reference, host work's reference}:
     * layers of the two-thread runtime in miniature,
     * alternately as a serial hybrid layer and as an overlapped one runs them, in the same samples (so both meet the same
     * moment of the machine, in the span one kind alone took before). Serial: the device thread runs device work (POST),
     * hands a CPU attention to the host-attention thread (yield-polling meanwhile, as in an iteration) and waits for its
     * output. Overlapped (APEX's asynchronous overlap, a window of a pipelined layer): the device thread runs POST,
     * publishes the CPU attention, runs device work of its own beside it ({@code besideJob}, standing for the GPU rows'
     * attention), then waits. Per sample (the mean over layers spanning at least 10 ms), of the serial layers: the device
     * work's time, the host's CPU attention's time, and the device's wait beyond that attention (the two wake-ups and
     * whatever descheduling lands between them); of the overlapped layers: the time from the job's publication to the host
     * thread starting it (the pickup), and from the later of its end and the device's own work to the device resuming (the
     * return), the hand-over's two halves where the real runtime pays them. On a loaded machine the run's lost share of
     * wall time lands in these as it does in a run's layers, which the single-thread samples (device work alone) do not
     * show. The fourth are single runs of the same CPU attention alone, before the samples. The last two are, per sample,
     * the median single serial layer's device work and host work: the references of their noise, the same code at the same
     * moment without the load's tail (a reference measured at another moment carries that moment's level: the attention
     * alone before the samples and POST in the single-thread samples put the layer's host work at 0.72 to 1.53 and its
     * device work at 0.65 to 1.69 of them over one validation's profiles; docs/validation.md).
     */
    private static double[][] twoThreadLayers(Runnable deviceJob, Runnable besideJob, Runnable cpuJob) {
        double[][] out = new double[8][SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            long t0 = System.nanoTime();
            cpuJob.run();
            out[3][i] = positive((System.nanoTime() - t0) / 1e9);
        }
        long[] hostSpan = new long[2];   // written by the host thread before its completion signal, read after the await
        Runnable hostJob = () -> {
            hostSpan[0] = System.nanoTime();
            cpuJob.run();
            hostSpan[1] = System.nanoTime();
        };
        try (HostAttentionThread t = new HostAttentionThread("runtime-sweep-host")) {
            int k = Math.max(2, warmUpLayers(t, deviceJob, hostJob));
            int serial = (k + 1) / 2, overlapped = k / 2;
            double[] deviceRuns = new double[serial], hostRuns = new double[serial];
            for (int i = 0; i < SAMPLES; i++) {
                long device = 0, host = 0, wait = 0, pickup = 0, back = 0;
                for (int j = 0; j < k; j++) {
                    long d0 = System.nanoTime();
                    deviceJob.run();
                    long d1 = System.nanoTime();
                    t.submit(0, hostJob);
                    if (j % 2 == 0) {
                        t.await(0);
                        long a1 = System.nanoTime();
                        device += d1 - d0;
                        host += hostSpan[1] - hostSpan[0];
                        deviceRuns[j / 2] = (d1 - d0) / 1e9;
                        hostRuns[j / 2] = (hostSpan[1] - hostSpan[0]) / 1e9;
                        wait += (a1 - d1) - (hostSpan[1] - hostSpan[0]);
                    } else {
                        besideJob.run();
                        long besideEnd = System.nanoTime();
                        t.await(0);
                        long resumed = System.nanoTime();
                        pickup += hostSpan[0] - d1;
                        back += resumed - Math.max(hostSpan[1], besideEnd);
                    }
                }
                out[0][i] = positive(device / 1e9 / serial);
                out[1][i] = positive(host / 1e9 / serial);
                out[2][i] = positive(wait / 1e9 / serial);
                out[4][i] = positive(pickup / 1e9 / overlapped);
                out[5][i] = positive(back / 1e9 / overlapped);
                out[6][i] = positive(MeasuredRuntime.median(deviceRuns));
                out[7][i] = positive(MeasuredRuntime.median(hostRuns));
            }
            t.endIteration();
        }
        return out;
    }

    /**
     * Starts an iteration on {@code t} and runs five layers of {@code deviceJob} followed by a round trip of {@code hostJob}
     * to the host thread, discarded; returns how many such layers span {@link #MIN_SAMPLE_SEC}.
     */
    private static int warmUpLayers(HostAttentionThread t, Runnable deviceJob, Runnable hostJob) {
        t.beginIteration();
        long w0 = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            deviceJob.run();
            t.submit(0, hostJob);
            t.await(0);
        }
        return runsPerSample((System.nanoTime() - w0) / 5e9);
    }

    /**
     * {cpu alone, cpu shared, device alone, device shared}: each job timed alone and while the other runs without pause
     * on a second thread, in interleaved rounds so that a change of the machine's load hits both sides alike.
     */
    private static double[][] contention(Runnable deviceJob, Runnable cpuJob) {
        for (int i = 0; i < 2; i++) {
            deviceJob.run();
            cpuJob.run();
        }
        long t0 = System.nanoTime();
        deviceJob.run();
        int kDevice = runsPerSample((System.nanoTime() - t0) / 1e9);
        t0 = System.nanoTime();
        cpuJob.run();
        int kCpu = runsPerSample((System.nanoTime() - t0) / 1e9);
        double[][] out = new double[4][SAMPLES];
        int per = SAMPLES / ROUNDS;
        for (int r = 0; r < ROUNDS; r++) {
            int from = r * per, to = r == ROUNDS - 1 ? SAMPLES : from + per;
            time(cpuJob, kCpu, null, out[0], from, to);
            time(cpuJob, kCpu, deviceJob, out[1], from, to);
            time(deviceJob, kDevice, null, out[2], from, to);
            time(deviceJob, kDevice, cpuJob, out[3], from, to);
        }
        return out;
    }

    /** Samples {@code from..to} of {@code job}, each the mean of {@code k} runs, with {@code beside} (if any) running meanwhile. */
    private static void time(Runnable job, int k, Runnable beside, double[] into, int from, int to) {
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
                for (int j = 0; j < k; j++) job.run();
                into[i] = positive((System.nanoTime() - t0) / 1e9 / k);
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
