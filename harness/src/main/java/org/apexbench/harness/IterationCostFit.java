package org.apexbench.harness;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskRecord;
import org.apexbench.profiler.table.IterationCost;
import org.apexbench.profiler.table.IterationCost.Term;
import org.apexbench.profiler.table.MeasuredRuntime;

/**
 * Fits the runtime's time per iteration outside any subtask ({@link IterationCost}) to the iteration's composition, from
 * one engine's real runs (docs/validation.md, run 19). Each iteration gives a sample: its wall time less its device
 * work, its wait for the host and its swaps (the device thread's copies, which the simulator charges from the copy
 * tables). The samples are grouped by composition (device decode rows, host decode rows, prefill tokens) and each
 * group of at least {@link #MIN_GROUP} gives its median (a median: NEO two-thread's most common composition had a mean of
 * 0.031 ms and a median of 0.017 in one validation's warm-up runs, 21 ms more over 1504 iterations, the size of one or two
 * of a loaded machine's deschedulings; the machine's tail is the noise samples' business, run 19); the terms are chosen forward, on the group medians weighted by their
 * iterations: a term joins when it lowers the weighted residual the most among the candidates, its coefficient is at
 * least {@link #MIN_T} standard errors from zero, and every coefficient of the fit stays positive (a cost); the
 * constant is always in. A term whose units never change in the runs (CPU rows in gpu-only's), or change only with the
 * kept terms', cannot join.
 */
final class IterationCostFit {
    /** Fewest standard errors a term's coefficient must stand from zero to join the fit. */
    static final double MIN_T = 3;
    /**
     * Fewest iterations of a composition whose median the fit takes: the median of one or two samples is a sample, and one
     * descheduling of a few ms among them outweighs every other group (in 3000 synthetic samples, one in 50 descheduled
     * by 5 ms, the groups of one or two samples put the constant at 12 us against 7). The compositions the runs repeat
     * (a validated workload's decode iterations, tens to thousands each) are the ones an engine's time is made of.
     */
    static final int MIN_GROUP = 10;

    private IterationCostFit() { }

    /** Most groups {@link #apply} prints per engine, the largest. */
    static final int PRINTED_GROUPS = 8;

    /**
     * {@code profile} with each engine's cost ({@link IterationCost#with}) fitted to its samples ({@code samples} of its
     * label; an engine with none keeps the profile's per-iteration calibration), saved at {@code file}; each fit described
     * to {@code log} unless it is null.
     */
    static org.apexbench.profiler.table.Profile apply(org.apexbench.profiler.table.Profile profile, java.nio.file.Path file,
                                                      List<String> engines, java.util.function.Function<String, List<Sample>> samples,
                                                      java.util.function.Consumer<String> log) {
        org.apexbench.profiler.table.Profile out = profile;
        for (String e : engines) {
            Fit f = fit(samples.apply(e));
            if (log != null) {
                describe(e, f, PRINTED_GROUPS).forEach(log);
                if (f.cost() != null) log.accept(String.format(Locale.ROOT, "%s:   in place of the calibration run's median, %.4f ms every iteration", e,
                        1e3 * MeasuredRuntime.of(profile, e).iterationSec()));
            }
            if (f.cost() != null) out = IterationCost.with(out, e, f.cost());
        }
        if (out != profile) Outputs.saveProfile(out, file);
        return out;
    }

    /** One iteration: its composition and its time outside any subtask. */
    record Sample(int gpuRows, int cpuRows, int prefillTokens, double sec) { }

    /** The samples of a composition: how many, their median and mean, and what the fit charges it. */
    record Group(int gpuRows, int cpuRows, int prefillTokens, int n, double medianSec, double meanSec, double p90Sec, double maxSec,
                 double madSec, double fittedSec) {
        double residualSec() { return medianSec - fittedSec; }

        /**
         * The variance of the median of {@link #n} samples of this scatter: (1.2533 sigma)^2 / n, sigma = 1.4826 MAD (a normal
         * scatter's; the median of a normal sample has sqrt(pi / 2) = 1.2533 times the mean's standard error).
         */
        double medianVariance() {
            double sigma = 1.4826 * madSec;
            return 1.2533 * 1.2533 * sigma * sigma / n;
        }
    }

    /**
     * A fit: the cost (null where there were no samples), the kept terms with their coefficients and standard errors, each
     * candidate term's t where it was last tried and not kept (NaN: not separable: its units never varied over the groups, or
     * varied with the kept terms' or there were fewer groups than terms), and the groups.
     */
    record Fit(IterationCost cost, Map<Term, double[]> kept, Map<Term, Double> rejected, List<Group> groups, int samples,
               int leftOut) { }

    /**
     * The samples of a real run: per iteration, wall time less device busy time, the wait for the host, and the time of its
     * swaps (the {@link Op#SWAP_IN} and {@link Op#SWAP_OUT} subtasks of that iteration in {@code subtasks}).
     */
    static List<Sample> samples(List<IterationRecord> iterations, List<SubtaskRecord> subtasks) {
        Map<Long, Double> swaps = new HashMap<>();
        for (SubtaskRecord r : subtasks) {
            if (r.op() == Op.SWAP_IN || r.op() == Op.SWAP_OUT) swaps.merge(r.iteration(), r.durationSec(), Double::sum);
        }
        List<Sample> out = new ArrayList<>(iterations.size());
        for (IterationRecord it : iterations) {
            double sec = it.durationSec() - it.gpuBusySec() - it.gpuStallSec() - swaps.getOrDefault(it.iteration(), 0.0);
            out.add(new Sample(it.gpuDecodes(), it.cpuDecodes(), it.prefillTokens(), Math.max(1e-9, sec)));
        }
        return out;
    }

    /** The fit of {@code samples} (above). */
    static Fit fit(List<Sample> samples) {
        List<Group> groups = groups(samples).stream().filter(g -> g.n() >= MIN_GROUP).toList();
        int leftOut = samples.size() - groups.stream().mapToInt(Group::n).sum();
        if (groups.isEmpty()) return new Fit(null, Map.of(), Map.of(), List.of(), samples.size(), leftOut);
        List<Term> terms = new ArrayList<>(List.of(Term.ITERATION));
        Solution best = solve(groups, terms);
        Map<Term, Double> rejected = new EnumMap<>(Term.class);
        while (true) {
            Term pick = null;
            Solution pickSolution = null;
            for (Term c : Term.values()) {
                if (terms.contains(c)) continue;
                List<Term> trial = new ArrayList<>(terms);
                trial.add(c);
                Solution s = solve(groups, trial);
                if (s == null) {
                    rejected.put(c, Double.NaN);
                    continue;
                }
                double t = s.t(trial.size() - 1);
                rejected.put(c, t);
                if (!(t >= MIN_T) || !s.allPositive()) continue;
                if (pickSolution == null || s.rss < pickSolution.rss) {
                    pick = c;
                    pickSolution = s;
                }
            }
            if (pick == null) break;
            terms.add(pick);
            rejected.remove(pick);
            best = pickSolution;
        }
        Map<Term, Double> costs = new EnumMap<>(Term.class);
        Map<Term, double[]> kept = new EnumMap<>(Term.class);
        for (int i = 0; i < terms.size(); i++) {
            kept.put(terms.get(i), new double[] {best.coef[i], best.se(i)});
            if (best.coef[i] > 0) costs.put(terms.get(i), best.coef[i]);
        }
        double[] all = samples.stream().mapToDouble(Sample::sec).toArray();
        double median = MeasuredRuntime.median(all);
        IterationCost cost = costs.isEmpty() ? null : new IterationCost(costs, median);
        List<Group> fitted = new ArrayList<>();
        for (Group g : groups) {
            fitted.add(new Group(g.gpuRows(), g.cpuRows(), g.prefillTokens(), g.n(), g.medianSec(), g.meanSec(), g.p90Sec(), g.maxSec(),
                    g.madSec(), cost == null ? 0 : cost.seconds(g.gpuRows(), g.cpuRows(), g.prefillTokens())));
        }
        return new Fit(cost, kept, rejected, fitted, samples.size(), leftOut);
    }

    /** The samples grouped by composition, in composition order. */
    static List<Group> groups(List<Sample> samples) {
        TreeMap<List<Integer>, List<Double>> by = new TreeMap<>((a, b) -> {
            for (int i = 0; i < a.size(); i++) {
                int c = Integer.compare(a.get(i), b.get(i));
                if (c != 0) return c;
            }
            return 0;
        });
        for (Sample s : samples) by.computeIfAbsent(List.of(s.gpuRows(), s.cpuRows(), s.prefillTokens()), k -> new ArrayList<>()).add(s.sec());
        List<Group> out = new ArrayList<>();
        for (var e : by.entrySet()) {
            double[] v = e.getValue().stream().mapToDouble(Double::doubleValue).toArray();
            double mean = 0;
            for (double x : v) mean += x / v.length;
            double[] sorted = v.clone();
            java.util.Arrays.sort(sorted);
            double median = MeasuredRuntime.median(v);
            double[] deviation = new double[v.length];
            for (int i = 0; i < v.length; i++) deviation[i] = Math.abs(v[i] - median);
            out.add(new Group(e.getKey().get(0), e.getKey().get(1), e.getKey().get(2), v.length, median, mean,
                    sorted[(int) Math.floor(0.9 * (sorted.length - 1))], sorted[sorted.length - 1], MeasuredRuntime.median(deviation), 0));
        }
        return out;
    }

    /** A weighted least-squares solution: coefficients, their covariance's diagonal, the weighted residual sum of squares. */
    private record Solution(double[] coef, double[] variance, double rss) {
        double se(int i) { return Math.sqrt(Math.max(0, variance[i])); }

        /** Coefficient i over its standard error (infinite where the fit is exact). */
        double t(int i) {
            double se = se(i);
            return se == 0 ? (coef[i] > 0 ? Double.POSITIVE_INFINITY : 0) : coef[i] / se;
        }

        boolean allPositive() {
            for (double c : coef) if (!(c > 0)) return false;
            return true;
        }
    }

    /**
     * The group medians fitted to {@code terms} by least squares, each group weighted by its iterations; null where the terms'
     * units are collinear over the groups or there are fewer groups than terms. A coefficient's variance is the larger of
     * two: from the medians' own sampling error (each group's {@link Group#medianVariance}, through the fit: what the samples'
     * scatter leaves uncertain, which needs no spare group: two compositions measure a prefill term), and, where there are
     * more groups than terms, from the groups' residuals (what the terms fail to explain).
     */
    private static Solution solve(List<Group> groups, List<Term> terms) {
        int k = terms.size(), g = groups.size();
        if (g < k) return null;
        double[][] a = new double[k][k];
        double[] b = new double[k];
        double[] row = new double[k];
        for (Group gr : groups) {
            units(gr, terms, row);
            for (int i = 0; i < k; i++) {
                b[i] += gr.n() * row[i] * gr.medianSec();
                for (int j = 0; j < k; j++) a[i][j] += gr.n() * row[i] * row[j];
            }
        }
        double[][] inverse = invert(a);
        if (inverse == null) return null;
        double[] coef = new double[k];
        for (int i = 0; i < k; i++) for (int j = 0; j < k; j++) coef[i] += inverse[i][j] * b[j];
        double rss = 0;
        double[] sampling = new double[k];   // diag of inverse X'W S W X inverse, S = the medians' variances
        for (Group gr : groups) {
            units(gr, terms, row);
            double f = 0;
            for (int i = 0; i < k; i++) f += coef[i] * row[i];
            rss += gr.n() * (gr.medianSec() - f) * (gr.medianSec() - f);
            for (int i = 0; i < k; i++) {
                double leverage = 0;
                for (int j = 0; j < k; j++) leverage += inverse[i][j] * gr.n() * row[j];
                sampling[i] += leverage * leverage * gr.medianVariance();
            }
        }
        double s2 = g > k ? rss / (g - k) : 0;
        double[] variance = new double[k];
        for (int i = 0; i < k; i++) variance[i] = Math.max(s2 * inverse[i][i], sampling[i]);
        return new Solution(coef, variance, rss);
    }

    private static void units(Group g, List<Term> terms, double[] row) {
        for (int i = 0; i < terms.size(); i++) row[i] = terms.get(i).units(g.gpuRows(), g.cpuRows(), g.prefillTokens());
    }

    /** The inverse of the symmetric matrix {@code m} (Gauss-Jordan, partial pivoting); null where it is (nearly) singular. */
    static double[][] invert(double[][] m) {
        int n = m.length;
        double[][] a = new double[n][2 * n];
        double scale = 0;
        for (int i = 0; i < n; i++) {
            System.arraycopy(m[i], 0, a[i], 0, n);
            a[i][n + i] = 1;
            scale = Math.max(scale, Math.abs(m[i][i]));
        }
        for (int c = 0; c < n; c++) {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
            if (!(Math.abs(a[p][c]) > 1e-10 * scale)) return null;
            double[] t = a[c];
            a[c] = a[p];
            a[p] = t;
            double d = a[c][c];
            for (int j = 0; j < 2 * n; j++) a[c][j] /= d;
            for (int r = 0; r < n; r++) {
                if (r == c || a[r][c] == 0) continue;
                double f = a[r][c];
                for (int j = 0; j < 2 * n; j++) a[r][j] -= f * a[c][j];
            }
        }
        double[][] inv = new double[n][n];
        for (int i = 0; i < n; i++) System.arraycopy(a[i], n, inv[i], 0, n);
        return inv;
    }

    /**
     * The fit as lines for stderr: the kept terms with coefficient and standard error, the terms left out with their t, the
     * largest groups' median, mean, fitted value and residual, and the totals over every sample (what the fit charges
     * against the samples' sum and the groups' medians' sum).
     */
    static List<String> describe(String engine, Fit f, int largestGroups) {
        List<String> out = new ArrayList<>();
        if (f.cost() == null) {
            out.add(engine + ": no per-iteration runtime cost fitted (" + f.samples() + " samples, no composition of " + MIN_GROUP
                    + " or more)");
            return out;
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s: runtime time per iteration outside subtasks, fitted to %d"
                + " iterations in %d compositions (%d more in compositions of fewer than %d left out; median of all %.4f ms):", engine,
                f.samples() - f.leftOut(), f.groups().size(), f.leftOut(), MIN_GROUP, 1e3 * f.cost().medianSec()));
        f.kept().forEach((t, c) -> b.append(String.format(Locale.ROOT, " %s %.5f ms (se %.5f)", name(t), 1e3 * c[0], 1e3 * c[1])));
        if (!f.rejected().isEmpty()) {
            b.append("; left out:");
            f.rejected().forEach((t, v) -> b.append(Double.isNaN(v) ? String.format(Locale.ROOT, " %s (not separable in these runs)", name(t))
                    : String.format(Locale.ROOT, " %s (t %.1f)", name(t), v)));
        }
        out.add(b.toString());
        double sum = 0, medians = 0, fitted = 0, absResidual = 0;
        for (Group g : f.groups()) {
            sum += g.n() * g.meanSec();
            medians += g.n() * g.medianSec();
            fitted += g.n() * g.fittedSec();
            absResidual += g.n() * Math.abs(g.residualSec());
        }
        int n = f.samples() - f.leftOut();
        out.add(String.format(Locale.ROOT, "%s:   over the fitted iterations, per iteration: samples' mean %.4f ms, their groups' medians"
                + " %.4f ms, fitted %.4f ms; mean |residual| of the groups' medians %.4f ms", engine, 1e3 * sum / n, 1e3 * medians / n,
                1e3 * fitted / n, 1e3 * absResidual / n));
        f.groups().stream().sorted((x, y) -> Integer.compare(y.n(), x.n())).limit(largestGroups).forEach(g -> out.add(String.format(Locale.ROOT,
                "%s:   gpu rows %2d cpu rows %2d prefill %3d: %5d iterations, median %.4f ms, mean %.4f ms (90th percentile %.4f, greatest"
                        + " %.3f), fitted %.4f ms, residual %+.4f ms", engine, g.gpuRows(), g.cpuRows(), g.prefillTokens(), g.n(),
                1e3 * g.medianSec(), 1e3 * g.meanSec(), 1e3 * g.p90Sec(), 1e3 * g.maxSec(), 1e3 * g.fittedSec(), 1e3 * g.residualSec())));
        return out;
    }

    private static String name(Term t) { return t.name().toLowerCase(Locale.ROOT).replace('_', ' '); }
}
