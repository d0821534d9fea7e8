package org.apexbench.reports;

import java.util.Arrays;

/** The median the validation reports print: the middle value, or the mean of the middle two of an even count. */
final class Medians {
    private Medians() {}

    /** The median of {@code v} (NaN when empty); {@code v} is left as it was. */
    static double of(double[] v) {
        if (v.length == 0) return Double.NaN;
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }
}
