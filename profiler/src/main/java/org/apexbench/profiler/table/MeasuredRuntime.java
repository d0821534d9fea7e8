package org.apexbench.profiler.table;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * What a measured profile knows about the machine's runtime beyond per-subtask medians, kept as extra sample tables
 * in the profile (x = sample number, seconds = one measurement each), so that profiles without them stay valid and
 * their JSON unchanged. Read by the simulator when it replays a measured machine (docs/validation.md):
 * <ul>
 * <li>{@value #JITTER_SAMPLES}: one subtask (POST at a mid width) timed again and again: the run-to-run noise;</li>
 * <li>{@code runtime.inRunOverTable[TABLE]} ({@link #inRunTable}): for each device subtask of a short real calibration run of
 *     gpu-only, its time in the run over its table's time for the same shape (dimensionless): the operators as a run meets
 *     them (the compiled code of a run's mix of operators, the caches of a walk over every layer) against the sweep's one
 *     operator at a time;</li>
 * <li>{@value #NOISE_REFERENCE}: per noise sample, the median single run among the runs it averages: the reference the
 *     noise samples are divided by (the same code in the same compiled state at the same moment, without the load's tail);</li>
 * <li>{@value #HANDOFF_SAMPLES}: round trips of an empty job from the device thread to the host-attention thread
 *     and back (two thread wake-ups);</li>
 * <li>{@value #CPU_ATTN_ALONE} / {@value #CPU_ATTN_SHARED}: CPU decode attention of one shape alone, and while the
 *     device thread runs device work (POST) without pause, measured interleaved;</li>
 * <li>{@value #DEVICE_ALONE} / {@value #DEVICE_SHARED}: POST of one width alone, and while the host thread runs CPU
 *     attention without pause, interleaved;</li>
 * <li>{@value #ITERATION_SAMPLES}: per iteration of a short real calibration run of gpu-only, the time the device
 *     thread spent neither on device work nor waiting for the host (scheduling, batch building, bookkeeping of the
 *     runtime);</li>
 * <li>{@code runtime.iterationSamples[ENGINE]} ({@link #iterationTable}): the same from a calibration run of that engine
 *     (its scheduler's own cost per iteration), where measured; an engine without one takes gpu-only's;</li>
 * <li>{@value #TWO_THREAD_DEVICE} / {@value #TWO_THREAD_HOST} / {@value #TWO_THREAD_WAIT}: a serial hybrid layer of the
 *     two-thread runtime in miniature (device work, a CPU attention handed to the host thread, the wait for it): the
 *     device work's time, the CPU attention's, and the wait beyond it; where the loaded machine's descheduling lands
 *     when both roles run (cpu backend only); {@value #TWO_THREAD_DEVICE_REFERENCE} / {@value #TWO_THREAD_HOST_REFERENCE}:
 *     per sample, the median single layer's device work and CPU attention among those it averages, the references of their
 *     noise (the same code at the same moment); {@value #TWO_THREAD_HOST_ALONE}: single runs of that CPU attention alone,
 *     measured before the samples, the host noise's reference in a profile without the in-sample one;</li>
 * <li>{@value #OVERLAP_PICKUP} / {@value #OVERLAP_RETURN}: an overlapped layer of the two-thread runtime in miniature
 *     (device work, a CPU attention handed to the host thread while the device runs work of its own beside it, the wait
 *     for its output): how long the host thread took to start the published job, and how long the device took to resume
 *     once both the output and its own work were done (cpu backend only).</li>
 * </ul>
 *
 * @param jitterSigma     standard deviation of ln(t) of the jitter samples (robust: 1.4826 times the MAD); 0 when absent
 * @param handoffSec      mean round trip to the host thread and back (a mean: these delays add up over a run, and
 *                        their distribution on a loaded machine is heavy-tailed); 0 when absent
 * @param cpuSharedFactor median shared / median alone of CPU attention (how much slower it runs beside device work); 1 when absent
 * @param deviceSharedFactor the same for device work beside CPU attention; 1 when absent
 * @param twoThreadWaitSec mean wait of the device thread for a CPU attention beyond the attention itself, in the two-thread
 *                        layer samples (a mean, as the hand-over's); 0 when absent
 * @param overlapPickupSec mean time from a CPU attention's publication to the host thread starting it, in the overlapped
 *                        layer samples (a mean, as the hand-over's); 0 when absent
 * @param overlapReturnSec mean time from its output (and the device's own work beside it) to the device resuming, in the
 *                        same samples; 0 when absent
 * @param iterationSec    median per-iteration runtime time outside any subtask (a median: a calibration run is short, and
 *                        two or three descheduled iterations among its 16 to 32 set its mean: 1.15 ms against a median of
 *                        0.16 ms, while the validated gpu-only run's mean was 0.09 ms); 0 when absent
 */
public record MeasuredRuntime(double jitterSigma, double handoffSec, double cpuSharedFactor, double deviceSharedFactor,
                              double twoThreadWaitSec, double overlapPickupSec, double overlapReturnSec, double iterationSec) {
    public static final String JITTER_SAMPLES = "runtime.jitterSamples";
    public static final String HANDOFF_SAMPLES = "runtime.handoffSamples";
    public static final String CPU_ATTN_ALONE = "runtime.cpuAttnAlone";
    public static final String CPU_ATTN_SHARED = "runtime.cpuAttnShared";
    public static final String DEVICE_ALONE = "runtime.deviceAlone";
    public static final String DEVICE_SHARED = "runtime.deviceShared";
    public static final String ITERATION_SAMPLES = "runtime.iterationSamples";
    public static final String TWO_THREAD_DEVICE = "runtime.twoThreadDevice";
    public static final String TWO_THREAD_HOST = "runtime.twoThreadHost";
    public static final String TWO_THREAD_WAIT = "runtime.twoThreadWait";
    public static final String TWO_THREAD_HOST_ALONE = "runtime.twoThreadHostAlone";
    public static final String TWO_THREAD_DEVICE_REFERENCE = "runtime.twoThreadDeviceReference";
    public static final String TWO_THREAD_HOST_REFERENCE = "runtime.twoThreadHostReference";
    public static final String OVERLAP_PICKUP = "runtime.overlapPickup";
    public static final String OVERLAP_RETURN = "runtime.overlapReturn";
    public static final String NOISE_REFERENCE = "runtime.noiseReference";
    /** Prefix of the in-run ratio tables ({@link #inRunTable}). */
    public static final String IN_RUN = "runtime.inRunOverTable";
    /** Prefix of the per-width in-run ratio tables ({@link #inRunWidthTable}). */
    public static final String IN_RUN_BY_WIDTH = "runtime.inRunOverTableByWidth";
    /** Fewest in-run ratios of one width bucket whose median the profile keeps for that bucket ({@link #withInRunWidthRatios}). */
    public static final int MIN_WIDTH_SAMPLES = 30;
    /** The device tables whose subtasks a calibration run times in place ({@link #inRunTable}). */
    public static final java.util.List<String> IN_RUN_TABLES = java.util.List.of(Profile.PRE, Profile.POST, Profile.EMBED,
            Profile.LM_HEAD, Profile.GPU_DECODE_ATTN);

    /** No runtime effects: what a profile without runtime tables (a simulated hardware's sweep) implies. */
    public static final MeasuredRuntime NONE = new MeasuredRuntime(0, 0, 1, 1, 0, 0, 0, 0);

    public MeasuredRuntime {
        check("jitterSigma", jitterSigma, 0, 3);
        check("handoffSec", handoffSec, 0, Profile.MAX_CELL_SEC);
        check("cpuSharedFactor", cpuSharedFactor, 1e-3, 1e3);
        check("deviceSharedFactor", deviceSharedFactor, 1e-3, 1e3);
        check("twoThreadWaitSec", twoThreadWaitSec, 0, Profile.MAX_CELL_SEC);
        check("overlapPickupSec", overlapPickupSec, 0, Profile.MAX_CELL_SEC);
        check("overlapReturnSec", overlapReturnSec, 0, Profile.MAX_CELL_SEC);
        check("iterationSec", iterationSec, 0, Profile.MAX_CELL_SEC);
    }

    private static void check(String field, double v, double lo, double hi) {
        if (!(v >= lo && v <= hi)) throw new ProfileException("measured runtime: " + field + " must be in [" + lo + ", " + hi + "], got " + v);
    }

    /** The table of per-iteration runtime samples of engine {@code engine} (its label, as `apex run --engine` takes it). */
    public static String iterationTable(String engine) { return ITERATION_SAMPLES + "[" + engine + "]"; }

    /**
     * The runtime of engine {@code engine} on {@code p}'s machine: {@link #of(Profile)}, with the per-iteration time of
     * that engine's own calibration run where the profile holds one.
     */
    public static MeasuredRuntime of(Profile p, String engine) {
        MeasuredRuntime r = of(p);
        String own = engine == null ? null : iterationTable(engine);
        if (own == null || !p.tables().containsKey(own)) return r;
        return new MeasuredRuntime(r.jitterSigma(), r.handoffSec(), r.cpuSharedFactor(), r.deviceSharedFactor(), r.twoThreadWaitSec(),
                r.overlapPickupSec(), r.overlapReturnSec(), median(samples(p, own)));
    }

    /** The runtime measured in {@code p}'s sample tables; each quantity whose tables are absent takes its NONE value. */
    public static MeasuredRuntime of(Profile p) {
        double sigma = p.tables().containsKey(JITTER_SAMPLES) ? robustLogSigma(samples(p, JITTER_SAMPLES)) : 0;
        return new MeasuredRuntime(Math.min(3, sigma), meanOrZero(p, HANDOFF_SAMPLES), ratio(p, CPU_ATTN_SHARED, CPU_ATTN_ALONE),
                ratio(p, DEVICE_SHARED, DEVICE_ALONE), meanOrZero(p, TWO_THREAD_WAIT), meanOrZero(p, OVERLAP_PICKUP),
                meanOrZero(p, OVERLAP_RETURN), p.tables().containsKey(ITERATION_SAMPLES) ? median(samples(p, ITERATION_SAMPLES)) : 0);
    }

    /** Whether {@code p} holds the overlapped layer's hand-over samples ({@value #OVERLAP_PICKUP}, {@value #OVERLAP_RETURN}). */
    public static boolean overlapMeasured(Profile p) {
        return p.tables().containsKey(OVERLAP_PICKUP) && p.tables().containsKey(OVERLAP_RETURN);
    }

    private static double meanOrZero(Profile p, String table) { return p.tables().containsKey(table) ? mean(samples(p, table)) : 0; }

    /** Width of the noise subtask (POST) the runtime sweep samples: 16, or the widest the profile's POST table holds. */
    public static double noiseWidth(Profile p) {
        if (!(p.table(Profile.POST) instanceof Table1D t)) return 16;
        double[] x = t.x();
        return Math.min(16, x[x.length - 1]);
    }

    /**
     * The noise of {@code p}'s machine as factors: each jitter sample over the median of the noise reference
     * ({@value #NOISE_REFERENCE}: the single runs of the same moments), or, in a profile without it, over the POST table's
     * median at the same width ({@link #noiseWidth}). A jitter sample is the mean of runs spanning at least 10 ms, so the
     * factors carry the share of wall time the loaded machine takes from a run (a subtask's time drawn as its table's
     * median times one of these has the measured mean) and nothing else: divided by a table cell instead, they also
     * carried that cell's measurement into every subtask (a POST cell measured at 12 times the samples' speed by a
     * profile's sweeps put every simulated subtask at a twelfth; docs/validation.md). How fast the operators run in a run
     * is the in-run ratios' business ({@link #inRunTables}); null when not measured.
     */
    public static double[] noiseFactors(Profile p) { return factors(p, JITTER_SAMPLES); }

    /**
     * The noise of an iteration that runs both roles (the two-thread runtime with CPU rows): the device work's samples in
     * the two-thread layer ({@value #TWO_THREAD_DEVICE}) over the median of their own single layers
     * ({@value #TWO_THREAD_DEVICE_REFERENCE}), so that the factors carry the load's tail and not the level of another
     * moment; in a profile without that reference, over the same reference as {@link #noiseFactors} (a POST of another
     * measurement: over the 19 profiles of one validation of tiny-llama3 the layer's device work over it had a median of
     * 0.65 to 1.69, where the single-thread samples over their own reference had 1.03 to 1.07; docs/validation.md); null
     * when not measured.
     */
    public static double[] twoThreadNoiseFactors(Profile p) {
        if (p.tables().containsKey(TWO_THREAD_DEVICE) && p.tables().containsKey(TWO_THREAD_DEVICE_REFERENCE)) {
            return factors(p, TWO_THREAD_DEVICE, median(samples(p, TWO_THREAD_DEVICE_REFERENCE)));
        }
        return factors(p, TWO_THREAD_DEVICE);
    }

    /**
     * The noise of the host's CPU attention in such an iteration: its samples in the two-thread layer
     * ({@value #TWO_THREAD_HOST}) over the median of their own single attentions ({@value #TWO_THREAD_HOST_REFERENCE}); in a
     * profile without that reference, over the median of single runs of the same attention alone measured before the
     * samples ({@value #TWO_THREAD_HOST_ALONE}: 0.72 to 1.53 in the profiles above); null when not measured.
     */
    public static double[] twoThreadHostNoiseFactors(Profile p) {
        if (!p.tables().containsKey(TWO_THREAD_HOST)) return null;
        String reference = p.tables().containsKey(TWO_THREAD_HOST_REFERENCE) ? TWO_THREAD_HOST_REFERENCE : TWO_THREAD_HOST_ALONE;
        if (!p.tables().containsKey(reference)) return null;
        return factors(p, TWO_THREAD_HOST, median(samples(p, reference)));
    }

    private static double[] factors(Profile p, String table) {
        if (!p.tables().containsKey(table)) return null;
        return factors(p, table, p.tables().containsKey(NOISE_REFERENCE) ? median(samples(p, NOISE_REFERENCE))
                : p.table(Profile.POST).at(noiseWidth(p)));
    }

    private static double[] factors(Profile p, String table, double reference) {
        double[] s = samples(p, table).clone();
        for (int i = 0; i < s.length; i++) s[i] /= reference;
        return s;
    }

    /** The table of in-run ratios of subtask table {@code table} ({@link #IN_RUN_TABLES}). */
    public static String inRunTable(String table) { return IN_RUN + "[" + table + "]"; }

    /**
     * {@code p} with the in-run ratios of {@code table}'s subtasks (each a subtask's time in a run over its table's time; at
     * least 2). A ratio above {@link Profile#MAX_CELL_SEC}, the most a profile cell holds, is stored at that bound: one
     * descheduled subtask over a table cell of a tenth of a microsecond (the embedding's) measured 7956 on a loaded machine,
     * and refusing it failed the whole profile; the ratios are read through their median, which the bound leaves as it was.
     */
    public static Profile withInRunRatios(Profile p, String table, double[] ratios) {
        if (!IN_RUN_TABLES.contains(table)) throw new IllegalArgumentException("in-run ratios: no device table '" + table + "'");
        if (ratios.length < 2) throw new IllegalArgumentException("in-run ratios of '" + table + "': need at least 2, got " + ratios.length);
        Map<String, ProfileTable> tables = new HashMap<>(p.tables());
        put(tables, inRunTable(table), bounded(ratios));
        return new Profile(p.fingerprint(), tables, p.launchSecPerKernel(), p.measuredWith());
    }

    /** In-run ratios as a profile keeps them: each at most {@link Profile#MAX_CELL_SEC} (a copy). */
    private static double[] bounded(double[] ratios) {
        double[] b = ratios.clone();
        for (int i = 0; i < b.length; i++) b[i] = Math.min(b[i], Profile.MAX_CELL_SEC);
        return b;
    }

    /**
     * How much slower (above 1) or faster a subtask of {@code table} runs in a run than its table says: the median of the
     * profile's in-run ratios (a median: a descheduled subtask of the calibration run is the noise's business, not the
     * operator's); 1 when not measured.
     */
    public static double inRunScale(Profile p, String table) {
        String t = inRunTable(table);
        return p.tables().containsKey(t) ? median(samples(p, t)) : 1;
    }

    /**
     * The table of per-width in-run ratios of subtask table {@code table}: x = a width bucket's least width (a power of two:
     * bucket b holds the widths b to 2b - 1), value = the median in-run ratio of that bucket's subtasks; only buckets of at
     * least {@link #MIN_WIDTH_SAMPLES} subtasks; first x = 0, the median of every width's (as {@link #inRunScale(Profile, String)}
     * gives it from the pooled table, kept so that one bucket is a table of two points). The ratio depends on the width: PRE's was 0.69 at width 1 and 0.88 to 0.93
     * at widths 2 to 8 in one validation's gpu-only runs (docs/validation.md, run 15).
     */
    public static String inRunWidthTable(String table) { return IN_RUN_BY_WIDTH + "[" + table + "]"; }

    /** The power-of-two bucket of width {@code width} (its least width; at least 1). */
    public static int widthBucket(double width) { return Integer.highestOneBit(Math.max(1, (int) Math.floor(width))); }

    /**
     * {@code p} with the per-width in-run ratios of {@code table} ({@link #inRunWidthTable}) taken from {@code ratios} and the
     * widths of their subtasks ({@code widths}, one each): the median of each power-of-two bucket holding at least
     * {@link #MIN_WIDTH_SAMPLES}, and of each width holding that many ({@link InRunAtWidth}); {@code p} unchanged where no
     * bucket does, or where {@code table} is not one-dimensional
     * in {@code p} (GPU decode attention: its time depends on the context as much as on the width).
     */
    public static Profile withInRunWidthRatios(Profile p, String table, double[] ratios, double[] widths) {
        return withInRunWidthRatios(p, table, ratios, widths, Double.NaN);
    }

    /**
     * As above, with {@code pooled} as the x = 0 value (what a width without a bucket takes) in place of the median of
     * {@code ratios}, where it is a number: `apex validate` takes the buckets from every engine's warm-up runs and the
     * pooled ratio from gpu-only's ({@link #inRunScale(Profile, String)}; docs/validation.md, run 18).
     */
    public static Profile withInRunWidthRatios(Profile p, String table, double[] ratios, double[] widths, double pooled) {
        if (!IN_RUN_TABLES.contains(table)) throw new IllegalArgumentException("in-run ratios: no device table '" + table + "'");
        if (ratios.length != widths.length) {
            throw new IllegalArgumentException("in-run ratios of '" + table + "': " + ratios.length + " ratios but " + widths.length + " widths");
        }
        if (!(p.tables().get(table) instanceof Table1D)) return p;
        double[] bounded = bounded(ratios);
        java.util.TreeMap<Integer, java.util.List<Double>> buckets = new java.util.TreeMap<>();
        for (int i = 0; i < bounded.length; i++) {
            buckets.computeIfAbsent(widthBucket(widths[i]), k -> new java.util.ArrayList<>()).add(bounded[i]);
        }
        buckets.values().removeIf(v -> v.size() < MIN_WIDTH_SAMPLES);
        if (buckets.isEmpty()) return p;
        double[] x = new double[buckets.size() + 1], median = new double[buckets.size() + 1];
        median[0] = Double.isNaN(pooled) ? median(bounded) : Math.min(pooled, Profile.MAX_CELL_SEC);   // x = 0: what a width without a bucket takes
        int i = 1;
        for (var e : buckets.entrySet()) {
            x[i] = e.getKey();
            median[i++] = median(e.getValue().stream().mapToDouble(Double::doubleValue).toArray());
        }
        Map<String, ProfileTable> tables = new HashMap<>(p.tables());
        tables.put(inRunWidthTable(table), new Table1D("width", x, median));
        // and each width of enough subtasks its own ratio, which the buckets' is the fallback of
        return InRunAtWidth.with(new Profile(p.fingerprint(), tables, p.launchSecPerKernel(), p.measuredWith()), table, bounded, widths, median[0]);
    }

    /**
     * How much slower or faster a subtask of {@code table} of width {@code width} runs in a run than its table says: that
     * width's own median ({@link InRunAtWidth}) where the profile holds one, else its width bucket's median
     * ({@link #inRunWidthTable}) where it holds that, else {@link #inRunScale(Profile, String)}.
     */
    public static double inRunScale(Profile p, String table, double width) {
        double exact = InRunAtWidth.at(p, table, width);
        if (!Double.isNaN(exact)) return exact;
        if (p.tables().get(inRunWidthTable(table)) instanceof Table1D t) {
            double b = widthBucket(width);
            double[] x = t.x();
            for (int i = 1; i < x.length; i++) if (x[i] == b) return t.seconds()[i];
        }
        return inRunScale(p, table);
    }

    /**
     * The table of engine {@code engine}'s own in-run ratios of subtask table {@code table}: each device subtask of that
     * engine's own runs that ran while the host computed no attention, over its table's time (`apex validate` takes them
     * from the engine's warm-up runs; docs/validation.md). A diagnostic: every engine's simulation takes the default
     * ({@link #inRunTable(String)}), the shared machine's; {@link #forEngine} gives a profile at the engine's own.
     */
    public static String inRunTable(String table, String engine) { return inRunTable(table) + "[" + engine + "]"; }

    /** {@code p} with engine {@code engine}'s own in-run ratios of {@code table} ({@link #inRunTable(String, String)}; at least 2). */
    public static Profile withInRunRatios(Profile p, String table, String engine, double[] ratios) {
        Profile own = withInRunRatios(p, table, ratios);
        Map<String, ProfileTable> tables = new HashMap<>(p.tables());
        tables.put(inRunTable(table, engine), own.tables().get(inRunTable(table)));
        return new Profile(p.fingerprint(), tables, p.launchSecPerKernel(), p.measuredWith());
    }

    /**
     * {@code p} at engine {@code engine}'s own operator speed (validate's comparison): each device table's in-run ratios that
     * engine's own where the profile holds them ({@link #inRunTable(String, String)}), the default's otherwise. Only the in-run ratios change: the
     * schedulers' tables and every runtime sample stay as they are.
     */
    public static Profile forEngine(Profile p, String engine) {
        if (engine == null) return p;
        Map<String, ProfileTable> tables = null;
        for (String table : IN_RUN_TABLES) {
            ProfileTable own = p.tables().get(inRunTable(table, engine));
            if (own == null) continue;
            if (tables == null) tables = new HashMap<>(p.tables());
            tables.put(inRunTable(table), own);
            tables.remove(inRunWidthTable(table)); // the engine's own ratios are pooled over widths: the shared per-width ones go
            tables.remove(InRunAtWidth.table(table));
        }
        return tables == null ? p : new Profile(p.fingerprint(), tables, p.launchSecPerKernel(), p.measuredWith());
    }

    /** Whether {@code p} holds engine {@code engine}'s own in-run ratios of any device table. */
    public static boolean ownInRunRatios(Profile p, String engine) {
        return IN_RUN_TABLES.stream().anyMatch(t -> p.tables().containsKey(inRunTable(t, engine)));
    }

    /**
     * {@code p}'s subtask tables as the simulator of its machine uses them: each device table ({@link #IN_RUN_TABLES})
     * times its {@link #inRunScale}, the rest as measured; a one-dimensional table with per-width ratios
     * ({@link #inRunWidthTable}) is charged at each whole width its own bucket's ratio ({@link #scaledPerWidth}). The schedulers keep predicting from the sweep's tables, as in a real run
     * given the profile.
     */
    public static Profile inRunTables(Profile p) {
        Map<String, ProfileTable> tables = new HashMap<>(p.tables());
        for (String name : IN_RUN_TABLES) {
            if (tables.get(name) instanceof Table1D t && tables.containsKey(inRunWidthTable(name))) {
                tables.put(name, scaledPerWidth(p, name, t));
                continue;
            }
            double k = inRunScale(p, name);
            if (k == 1 || !tables.containsKey(name)) continue;
            tables.put(name, tables.get(name).scaled(k));
        }
        return new Profile(p.fingerprint(), tables, p.launchSecPerKernel(), p.measuredWith());
    }

    /**
     * Table {@code t} of {@code p} with each whole width w inside its grid at {@code t.at(w)} times w's ratio
     * ({@link #inRunScale(Profile, String, double)}): the grid gains the ends of every power-of-two bucket inside it (b - 1
     * and b), so that between two points the ratio is one bucket's and the table as linear as it was, and, where the profile
     * holds ratios per exact width ({@link InRunAtWidth}), every whole width inside it; a width beyond the grid extrapolates
     * from its end segment, as the table did.
     */
    static Table1D scaledPerWidth(Profile p, String name, Table1D t) {
        double[] x = t.x();
        java.util.TreeSet<Double> grid = new java.util.TreeSet<>();
        for (double v : x) grid.add(v);
        for (long b = 2; b - 1 <= x[x.length - 1]; b *= 2) {
            for (double v : new double[] {b - 1, b}) if (v >= x[0] && v <= x[x.length - 1]) grid.add(v);
        }
        // per exact width: every whole width inside the grid is a point of its own
        if (InRunAtWidth.present(p, name)) for (double w = Math.ceil(x[0]); w <= x[x.length - 1]; w++) grid.add(w);
        double[] gx = new double[grid.size()], gs = new double[grid.size()];
        int i = 0;
        for (double v : grid) {
            gx[i] = v;
            gs[i++] = t.at(v) * inRunScale(p, name, v);
        }
        return new Table1D(t.name(), gx, gs);
    }

    /** Whether {@code p} carries any runtime table (a measured machine's profile taken by `apex profile` since issue 20). */
    public static boolean present(Profile p) {
        for (String t : new String[] {JITTER_SAMPLES, HANDOFF_SAMPLES, CPU_ATTN_ALONE, DEVICE_ALONE}) {
            if (p.tables().containsKey(t)) return true;
        }
        return false;
    }

    /** {@code p} with these sample tables added, without a noise reference (each array: seconds per sample; null: not measured). */
    public static Profile withSamples(Profile p, double[] jitter, double[] handoff, double[] cpuAlone, double[] cpuShared,
                                      double[] deviceAlone, double[] deviceShared) {
        return withSamples(p, jitter, null, handoff, cpuAlone, cpuShared, deviceAlone, deviceShared);
    }

    /** {@code p} with these sample tables added (each array: one measurement per sample, seconds; null: not measured). */
    public static Profile withSamples(Profile p, double[] jitter, double[] noiseReference, double[] handoff, double[] cpuAlone,
                                      double[] cpuShared, double[] deviceAlone, double[] deviceShared) {
        Map<String, ProfileTable> tables = new HashMap<>(p.tables());
        put(tables, JITTER_SAMPLES, jitter);
        put(tables, NOISE_REFERENCE, noiseReference);
        put(tables, HANDOFF_SAMPLES, handoff);
        put(tables, CPU_ATTN_ALONE, cpuAlone);
        put(tables, CPU_ATTN_SHARED, cpuShared);
        put(tables, DEVICE_ALONE, deviceAlone);
        put(tables, DEVICE_SHARED, deviceShared);
        return new Profile(p.fingerprint(), tables, p.launchSecPerKernel(), p.measuredWith());
    }

    /**
     * {@code p} with the two-thread layer's samples added, without in-sample references (seconds per layer, one per sample;
     * {@link #TWO_THREAD_DEVICE} etc.).
     */
    public static Profile withTwoThreadSamples(Profile p, double[] device, double[] host, double[] wait, double[] hostAlone) {
        return withTwoThreadSamples(p, device, host, wait, hostAlone, null, null);
    }

    /**
     * {@code p} with the two-thread layer's samples added (seconds per layer, one per sample), with each sample's median
     * single layer's device work and CPU attention ({@link #TWO_THREAD_DEVICE_REFERENCE}, {@link #TWO_THREAD_HOST_REFERENCE};
     * null: not measured).
     */
    public static Profile withTwoThreadSamples(Profile p, double[] device, double[] host, double[] wait, double[] hostAlone,
                                               double[] deviceReference, double[] hostReference) {
        Map<String, ProfileTable> tables = new HashMap<>(p.tables());
        put(tables, TWO_THREAD_DEVICE, device);
        put(tables, TWO_THREAD_HOST, host);
        put(tables, TWO_THREAD_WAIT, wait);
        put(tables, TWO_THREAD_HOST_ALONE, hostAlone);
        put(tables, TWO_THREAD_DEVICE_REFERENCE, deviceReference);
        put(tables, TWO_THREAD_HOST_REFERENCE, hostReference);
        return new Profile(p.fingerprint(), tables, p.launchSecPerKernel(), p.measuredWith());
    }

    /** {@code p} with the overlapped layer's hand-over samples added (seconds, one per sample; {@link #OVERLAP_PICKUP}, {@link #OVERLAP_RETURN}). */
    public static Profile withOverlapSamples(Profile p, double[] pickup, double[] ret) {
        Map<String, ProfileTable> tables = new HashMap<>(p.tables());
        put(tables, OVERLAP_PICKUP, pickup);
        put(tables, OVERLAP_RETURN, ret);
        return new Profile(p.fingerprint(), tables, p.launchSecPerKernel(), p.measuredWith());
    }

    /** {@code p} with the per-iteration runtime samples of a calibration run added (seconds, one per iteration). */
    public static Profile withIterationSamples(Profile p, double[] iteration) { return withIterationSamples(p, ITERATION_SAMPLES, iteration); }

    /** {@code p} with per-iteration runtime samples stored as table {@code table} ({@link #ITERATION_SAMPLES} or an {@link #iterationTable}). */
    public static Profile withIterationSamples(Profile p, String table, double[] iteration) {
        Map<String, ProfileTable> tables = new HashMap<>(p.tables());
        put(tables, table, iteration);
        return new Profile(p.fingerprint(), tables, p.launchSecPerKernel(), p.measuredWith());
    }

    private static void put(Map<String, ProfileTable> tables, String name, double[] samples) {
        if (samples == null) return;
        double[] x = new double[samples.length];
        for (int i = 0; i < x.length; i++) x[i] = i + 1;
        tables.put(name, new Table1D("sample", x, samples.clone()));
    }

    private static double ratio(Profile p, String shared, String alone) {
        if (!p.tables().containsKey(shared) || !p.tables().containsKey(alone)) return 1;
        return median(samples(p, shared)) / median(samples(p, alone));
    }

    private static double[] samples(Profile p, String name) {
        if (!(p.table(name) instanceof Table1D t)) throw new ProfileException("profile: table '" + name + "' must be one-dimensional samples");
        return t.seconds();
    }

    static double mean(double[] v) {
        double sum = 0;
        for (double x : v) sum += x;
        return sum / v.length;
    }

    /** The median of {@code v} (the mean of the middle two of an even count); {@code v} is left as it was. */
    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }

    /** 1.4826 * median |ln t - median ln t|: the sigma of a log-normal, insensitive to the odd descheduled sample. */
    static double robustLogSigma(double[] v) {
        double[] logs = new double[v.length];
        for (int i = 0; i < v.length; i++) logs[i] = Math.log(v[i]);
        double m = median(logs);
        double[] dev = new double[v.length];
        for (int i = 0; i < v.length; i++) dev[i] = Math.abs(logs[i] - m);
        return 1.4826 * median(dev);
    }
}
