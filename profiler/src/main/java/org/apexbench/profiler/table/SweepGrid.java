package org.apexbench.profiler.table;

import java.util.List;
import java.util.TreeSet;

/**
 * Where {@link ProfileSweep} measures. Grids are geometric (1, 2, 3, 4, 6, 8, 12, ...: powers of two
 * and 1.5 times them), dense where small shapes change fastest and sparse where times are linear.
 *
 * @param widths            token widths for pre/post/embed (1 .. max tokens per iteration)
 * @param lmHeadRows        rows for the LM head (1 .. max batch)
 * @param prefillLengths    single-prompt lengths for prefill attention
 * @param gpuDecodeRequests request counts for GPU decode attention
 * @param gpuDecodeContexts total context tokens for GPU decode attention
 * @param cpuDecodeRequests request counts for CPU decode attention
 * @param cpuDecodeContexts total context tokens for CPU decode attention
 * @param copyBytes         transfer sizes
 * @param warmup            discarded calls before each measured point
 * @param repeats           measured calls per point; the table keeps their median
 */
public record SweepGrid(List<Integer> widths, List<Integer> lmHeadRows, List<Integer> prefillLengths,
                        List<Integer> gpuDecodeRequests, List<Long> gpuDecodeContexts,
                        List<Integer> cpuDecodeRequests, List<Long> cpuDecodeContexts, List<Long> copyBytes,
                        int warmup, int repeats) {
    public SweepGrid {
        widths = checked("widths", widths);
        lmHeadRows = checked("lmHeadRows", lmHeadRows);
        prefillLengths = checked("prefillLengths", prefillLengths);
        gpuDecodeRequests = checked("gpuDecodeRequests", gpuDecodeRequests);
        gpuDecodeContexts = checked("gpuDecodeContexts", gpuDecodeContexts);
        cpuDecodeRequests = checked("cpuDecodeRequests", cpuDecodeRequests);
        cpuDecodeContexts = checked("cpuDecodeContexts", cpuDecodeContexts);
        copyBytes = checked("copyBytes", copyBytes);
        if (warmup < 0 || repeats < 1) {
            throw new IllegalArgumentException("sweep grid: warmup must be >= 0 and repeats >= 1, got " + warmup + ", " + repeats);
        }
    }

    private static <T extends Number & Comparable<T>> List<T> checked(String name, List<T> values) {
        if (values == null || values.size() < 2) {
            throw new IllegalArgumentException("sweep grid: " + name + " needs at least 2 points");
        }
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i).longValue() < 1 || (i > 0 && values.get(i).compareTo(values.get(i - 1)) <= 0)) {
                throw new IllegalArgumentException("sweep grid: " + name + " must be >= 1 and strictly increasing, got " + values);
            }
        }
        return List.copyOf(values);
    }

    /**
     * A default grid for an engine with these limits.
     *
     * @param maxTokensPerIteration widest linear batch
     * @param maxBatch              most requests in one iteration
     * @param maxGpuContextTokens   most context tokens GPU decode attention can see (GPU KV capacity)
     * @param maxCpuContextTokens   most context tokens CPU decode attention can see (host KV capacity)
     * @param maxPrompt             longest prompt (model context)
     * @param maxCopyBytes          biggest transfer (a whole request's KV)
     */
    public static SweepGrid defaults(int maxTokensPerIteration, int maxBatch, long maxGpuContextTokens,
                                     long maxCpuContextTokens, int maxPrompt, long maxCopyBytes) {
        return new SweepGrid(ints(1, maxTokensPerIteration), ints(1, Math.max(2, maxBatch)), ints(16, Math.max(32, maxPrompt)),
                ints(1, Math.max(2, maxBatch)), longs(16, Math.max(32, maxGpuContextTokens)),
                ints(1, Math.max(2, maxBatch)), longs(16, Math.max(32, maxCpuContextTokens)),
                longs(1024, Math.max(2048, maxCopyBytes)), 1, 3);
    }

    /** 1, 2, 3, 4, 6, 8, 12, ... from {@code from} up to {@code to}, always including {@code to}. */
    public static List<Long> longs(long from, long to) {
        TreeSet<Long> s = new TreeSet<>();
        for (long p = 1; p <= to && p > 0; p *= 2) {
            if (p >= from) {
                s.add(p);
            }
            long mid = p + p / 2;
            if (mid >= from && mid <= to && mid > p) {
                s.add(mid);
            }
        }
        s.add(from);
        s.add(to);
        return List.copyOf(s);
    }

    public static List<Integer> ints(int from, int to) {
        return longs(from, to).stream().map(Long::intValue).toList();
    }
}
