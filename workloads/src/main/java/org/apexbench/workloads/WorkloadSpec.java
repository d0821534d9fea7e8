package org.apexbench.workloads;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A workload described in one string, parsed by {@link #parse(String)} and turned into requests
 * by {@link #generate(WorkloadContext)}.
 *
 * <h2>Grammar</h2>
 * <pre>
 * spec    := kind [ ':' args ] [ ';' args ]
 * args    := arg ( ',' arg )*
 * arg     := key '=' value | word
 * kind    := chat | sharegpt | long-output | cot | mixed | synthetic | trace | file
 * </pre>
 * For {@code mixed} the args after ':' are component weights ({@code chat=0.5,cot=0.3,long-output=0.2};
 * components: chat, sharegpt, long-output, cot) and the options go after ';'. For {@code trace} the
 * first bare word is the trace (splitwise_conv, splitwise_code, arxiv, neo_osc, or a CSV path); for {@code file}
 * it is a workload file ({@link WorkloadFiles}: .jsonl or .csv, its own arrivals; only {@code seed}
 * applies, for rows that give prompt_len instead of ids). For the other
 * kinds, options may follow ':' or ';' alike. Whitespace around tokens is ignored.
 *
 * <h2>Options</h2>
 * <ul>
 * <li>all: {@code count} (requests, default 100; for trace: all kept rows), {@code seed} (default 0),
 *     {@code temperature} (default 0 = greedy), {@code top_p} (default 1)</li>
 * <li>arrivals: {@code rate} (req/s; alone = Poisson), {@code cv} (with rate: Gamma gaps of that
 *     coefficient of variation), {@code concurrency} (closed loop), {@code arrival} = poisson | gamma |
 *     uniform | all | closed | trace to say it explicitly, or numpy (with rate: Poisson gaps as numpy's legacy
 *     generator draws them from {@code seed}, first request at t = 0, as Python benchmark clients such as NEO's do).
 *     No option: all at once (trace: its timestamps).
 *     {@code normalize=true}: vLLM's span normalisation of Poisson/Gamma arrivals (last arrival at count/rate).</li>
 * <li>synthetic: {@code input}, {@code output} (required)</li>
 * <li>cot: {@code cap} (output cap, default 4096)</li>
 * <li>trace: {@code scale} (multiplies inter-arrival times), {@code limit} (= count), {@code start} and
 *     {@code end} (window in trace seconds), {@code min-input}, {@code max-input}, {@code min-output},
 *     {@code max-output}</li>
 * </ul>
 * Examples: {@code long-output:count=200,rate=2,seed=7}; {@code mixed:chat=0.5,cot=0.3,long-output=0.2;count=500,rate=4};
 * {@code synthetic:count=64,input=1000,output=200}; {@code trace:splitwise_conv,scale=0.5,limit=1000};
 * {@code trace:arxiv,rate=1.5,limit=300}.
 *
 * @param text        the string it was parsed from (reports quote it)
 * @param lengths     where lengths come from; null for trace replay
 * @param replay      trace replay; null otherwise
 * @param file        workload file path; null otherwise
 * @param arrivals    the arrival process; null = the trace's or file's own timestamps
 * @param count       requests to generate (trace: most rows, 0 = all)
 * @param seed        run seed; lengths, prompts, sampling seeds and arrivals use separate streams of it
 * @param temperature sampling temperature of every request
 * @param topP        top-p of every request
 */
public record WorkloadSpec(String text, LengthDistribution lengths, TraceReplay replay, String file, ArrivalProcess arrivals,
                           int count, long seed, float temperature, float topP) {
    public static final int DEFAULT_COUNT = 100;
    private static final List<String> KINDS = List.of("chat", "sharegpt", "long-output", "cot", "mixed", "synthetic", "trace", "file");
    private static final Set<String> COMMON = Set.of("count", "seed", "temperature", "top_p", "rate", "cv", "concurrency", "arrival",
            "normalize");
    private static final Set<String> TRACE_KEYS = Set.of("scale", "limit", "start", "end", "min-input", "max-input",
            "min-output", "max-output");

    public WorkloadSpec {
        int sources = (lengths != null ? 1 : 0) + (replay != null ? 1 : 0) + (file != null ? 1 : 0);
        if (sources != 1) {
            throw new WorkloadException("workload " + text + ": exactly one of lengths, trace replay and file must be given");
        }
        if (count < 0 || (lengths != null && count < 1)) {
            throw new WorkloadException("workload " + text + ": count must be >= 1, got " + count);
        }
        if (arrivals == null && lengths != null) {
            throw new WorkloadException("workload " + text + ": only trace replay and files carry their own timestamps");
        }
        new SamplingParams(temperature, topP, 0);
    }

    /** The concurrency of a closed-loop workload, 0 for open loop. */
    public int closedLoopConcurrency() { return arrivals instanceof ArrivalProcess.ClosedLoop c ? c.concurrency() : 0; }

    /** Parses a spec string (grammar in the class javadoc); errors ({@link WorkloadException}) quote it and say which part is wrong. */
    public static WorkloadSpec parse(String text) {
        if (text == null) throw new WorkloadException("workload: no spec given");
        try {
            return parseUnnamed(text);
        } catch (IllegalArgumentException e) {
            throw named(text, e);
        }
    }

    /** {@code e} as a {@link WorkloadException} whose message quotes the spec {@code text} (once). */
    static WorkloadException named(String text, IllegalArgumentException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        String prefix = "workload '" + text + "'";
        if (m.startsWith(prefix) || m.startsWith("workload file ") || m.startsWith("trace ") && e instanceof WorkloadException) {
            return e instanceof WorkloadException w ? w : new WorkloadException(m, e);
        }
        return new WorkloadException(prefix + ": " + m, e);
    }

    private static WorkloadSpec parseUnnamed(String text) {
        String s = text.strip();
        int semi = s.indexOf(';');
        String head = semi < 0 ? s : s.substring(0, semi);
        String tail = semi < 0 ? "" : s.substring(semi + 1);
        int colon = head.indexOf(':');
        String kind = (colon < 0 ? head : head.substring(0, colon)).strip();
        List<String[]> headArgs = args(text, colon < 0 ? "" : head.substring(colon + 1));
        List<String[]> tailArgs = args(text, tail);
        if (!KINDS.contains(kind)) {
            throw new WorkloadException("workload '" + text + "': unknown kind '" + kind + "'; known: " + String.join(", ", KINDS));
        }
        Map<String, String> opts = new LinkedHashMap<>();
        List<String> words = new ArrayList<>();
        LengthDistribution lengths = null;
        if (kind.equals("mixed")) {
            List<LengthDistribution.Mixed.Component> comps = new ArrayList<>();
            for (String[] a : headArgs) {
                if (a[1] == null) {
                    throw new WorkloadException("workload '" + text + "': mixed components are name=weight, got '" + a[0] + "'");
                }
                comps.add(new LengthDistribution.Mixed.Component(component(text, a[0]), number(text, a[0], a[1])));
            }
            lengths = new LengthDistribution.Mixed(comps);
            put(text, opts, words, tailArgs);
        } else {
            put(text, opts, words, headArgs);
            put(text, opts, words, tailArgs);
        }
        Set<String> allowed = new TreeSet<>(COMMON);
        switch (kind) {
            case "synthetic" -> allowed.addAll(List.of("input", "output", "spread"));
            case "cot" -> allowed.add("cap");
            case "trace" -> allowed.addAll(TRACE_KEYS);
            case "file" -> allowed.retainAll(Set.of("seed"));
            default -> { }
        }
        for (String k : opts.keySet()) {
            if (!allowed.contains(k)) {
                throw new WorkloadException("workload '" + text + "': option '" + k + "' does not apply to " + kind
                        + "; allowed: " + String.join(", ", allowed));
            }
        }
        if (!kind.equals("trace") && !kind.equals("file") && !words.isEmpty()) {
            throw new WorkloadException("workload '" + text + "': expected key=value, got '" + words.getFirst() + "'");
        }
        TraceReplay replay = null;
        switch (kind) {
            case "chat", "sharegpt", "long-output" -> lengths = component(text, kind);
            case "cot" -> lengths = new LengthDistribution.Cot(intOpt(text, opts, "cap", LengthDistribution.Cot.DEFAULT_CAP));
            case "synthetic" -> {
                require(text, opts, "input");
                require(text, opts, "output");
                lengths = new LengthDistribution.Fixed(intOpt(text, opts, "input", 0), intOpt(text, opts, "output", 0),
                        num(text, opts, "spread", 0));
            }
            case "trace" -> {
                if (words.size() != 1) {
                    throw new WorkloadException("workload '" + text + "': trace needs exactly one trace name "
                            + "(splitwise_conv, splitwise_code, arxiv, neo_osc or a path), got " + words);
                }
                if (opts.containsKey("limit") && opts.containsKey("count")) {
                    throw new WorkloadException("workload '" + text + "': give limit or count, not both");
                }
                replay = new TraceReplay(words.getFirst(), num(text, opts, "scale", 1), num(text, opts, "start", 0),
                        num(text, opts, "end", Double.POSITIVE_INFINITY), intOpt(text, opts, "min-input", 1),
                        intOpt(text, opts, "max-input", Integer.MAX_VALUE), intOpt(text, opts, "min-output", 1),
                        intOpt(text, opts, "max-output", Integer.MAX_VALUE),
                        intOpt(text, opts, "limit", intOpt(text, opts, "count", 0)));
            }
            default -> { }
        }
        String file = null;
        if (kind.equals("file")) {
            if (words.size() != 1) {
                throw new WorkloadException("workload '" + text + "': file needs exactly one path (.jsonl or .csv), got " + words);
            }
            file = words.getFirst();
            return new WorkloadSpec(text, null, null, file, null, 0, seed(text, opts), 0, 1);
        }
        int count = replay != null ? replay.limit() : intOpt(text, opts, "count", DEFAULT_COUNT);
        if (count > Workload.MAX_REQUESTS) {
            throw new WorkloadException("workload '" + text + "': " + (replay != null ? "limit" : "count") + "=" + count
                    + " is more than the " + Workload.MAX_REQUESTS + " requests a workload may have");
        }
        ArrivalProcess arrivals = arrivals(text, opts, replay != null);
        double rate = rate(arrivals);
        if (count > 0 && rate > 0 && count / rate > Workload.MAX_ARRIVAL_SEC) {
            throw new WorkloadException("workload '" + text + "': rate=" + opts.get("rate") + " req/s spreads " + count
                    + " arrivals over about " + String.format(java.util.Locale.ROOT, "%.3g", count / rate) + " s, beyond the "
                    + Workload.MAX_ARRIVAL_SEC + " s (about 115 days) a run's clock resolves to the nanosecond; give rate >= "
                    + String.format(java.util.Locale.ROOT, "%.3g", count / Workload.MAX_ARRIVAL_SEC));
        }
        return new WorkloadSpec(text, lengths, replay, null, arrivals, count,
                seed(text, opts), (float) num(text, opts, "temperature", 0), (float) num(text, opts, "top_p", 1));
    }

    /** The mean rate of an open-loop process (0 for all-at-once and closed loop). */
    private static double rate(ArrivalProcess p) {
        return switch (p) {
            case ArrivalProcess.PoissonArrivals q -> q.rate();
            case ArrivalProcess.Gamma g -> g.rate();
            case ArrivalProcess.Uniform u -> u.rate();
            case ArrivalProcess.SpanNormalized s -> rate(s.process());
            case null, default -> 0;
        };
    }

    private static long seed(String text, Map<String, String> o) {
        String v = o.get("seed");
        if (v == null) return 0;
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new WorkloadException("workload '" + text + "': option 'seed' must be a whole number (64-bit), got '" + v + "'");
        }
    }

    private static ArrivalProcess arrivals(String text, Map<String, String> o, boolean trace) {
        ArrivalProcess p = process(text, o, trace);
        String norm = o.getOrDefault("normalize", "false");
        if (!norm.equals("true") && !norm.equals("false")) {
            throw new WorkloadException("workload '" + text + "': normalize must be true or false, got '" + norm + "'");
        }
        return norm.equals("true") ? new ArrivalProcess.SpanNormalized(p) : p;
    }

    private static ArrivalProcess process(String text, Map<String, String> o, boolean trace) {
        String mode = o.get("arrival");
        if (mode == null) {
            mode = o.containsKey("concurrency") ? "closed" : o.containsKey("cv") ? "gamma" : o.containsKey("rate") ? "poisson"
                    : trace ? "trace" : "all";
        }
        return switch (mode) {
            case "all" -> new ArrivalProcess.AllAtOnce();
            case "poisson" -> new ArrivalProcess.Poisson(require(text, o, "rate"));
            case "numpy" -> new ArrivalProcess.NumpyPoisson(require(text, o, "rate"), seed(text, o));
            case "gamma" -> new ArrivalProcess.Gamma(require(text, o, "rate"), require(text, o, "cv"));
            case "uniform" -> new ArrivalProcess.Uniform(require(text, o, "rate"));
            case "closed" -> {
                require(text, o, "concurrency");
                yield new ArrivalProcess.ClosedLoop(intOpt(text, o, "concurrency", 0));
            }
            case "trace" -> {
                if (!trace) {
                    throw new WorkloadException("workload '" + text + "': arrival=trace needs a trace workload");
                }
                yield null;
            }
            default -> throw new WorkloadException("workload '" + text + "': arrival must be poisson, numpy, gamma, uniform, "
                    + "all, closed or trace, got '" + mode + "'");
        };
    }

    private static LengthDistribution component(String text, String name) {
        return switch (name) {
            case "chat" -> new LengthDistribution.TraceResampled("chat", "splitwise_conv");
            case "sharegpt" -> new LengthDistribution.ShareGpt();
            case "long-output" -> new LengthDistribution.LongOutput();
            case "cot" -> new LengthDistribution.Cot(LengthDistribution.Cot.DEFAULT_CAP);
            default -> throw new WorkloadException("workload '" + text + "': unknown length mix '" + name
                    + "'; known: chat, sharegpt, long-output, cot");
        };
    }

    private static List<String[]> args(String text, String part) {
        List<String[]> out = new ArrayList<>();
        if (part.isBlank()) {
            return out;
        }
        for (String a : part.split(",", -1)) {
            String t = a.strip();
            if (t.isEmpty()) {
                throw new WorkloadException("workload '" + text + "': empty argument (stray comma?)");
            }
            int eq = t.indexOf('=');
            out.add(eq < 0 ? new String[] {t, null} : new String[] {t.substring(0, eq).strip(), t.substring(eq + 1).strip()});
        }
        return out;
    }

    private static void put(String text, Map<String, String> opts, List<String> words, List<String[]> args) {
        for (String[] a : args) {
            if (a[1] == null) {
                words.add(a[0]);
            } else if (opts.put(a[0], a[1]) != null) {
                throw new WorkloadException("workload '" + text + "': option '" + a[0] + "' given twice");
            }
        }
    }

    private static double require(String text, Map<String, String> o, String key) {
        if (!o.containsKey(key)) {
            throw new WorkloadException("workload '" + text + "': option '" + key + "' is required here");
        }
        return num(text, o, key, 0);
    }

    private static double num(String text, Map<String, String> o, String key, double def) {
        String v = o.get(key);
        return v == null ? def : number(text, key, v);
    }

    private static double number(String text, String key, String v) {
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new WorkloadException("workload '" + text + "': option '" + key + "' must be a number, got '" + v + "'");
        }
        if (!Double.isFinite(d) && !(key.equals("end") && d == Double.POSITIVE_INFINITY)) {
            throw new WorkloadException("workload '" + text + "': option '" + key + "' must be a finite number, got '" + v + "'");
        }
        return d;
    }

    private static int intOpt(String text, Map<String, String> o, String key, int def) {
        String v = o.get(key);
        if (v == null) {
            return def;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new WorkloadException("workload '" + text + "': option '" + key + "' must be an integer, got '" + v + "'");
        }
    }

    /** Generates the requests (deterministic for a given spec and context). */
    public Workload generate(WorkloadContext ctx) {
        return WorkloadGenerator.generate(this, ctx);
    }

    /** One line for reports. */
    public String describe() {
        if (file != null) {
            return "file " + file + " (prompt_len rows drawn with seed " + seed + ")";
        }
        String src = replay != null ? replay.describe() : lengths.describe();
        String arr = arrivals == null ? "trace timestamps" + (replay.scale() != 1 ? " scaled x" + replay.scale() : "") : arrivals.describe();
        return src + "; arrivals: " + arr + "; seed " + seed;
    }
}
