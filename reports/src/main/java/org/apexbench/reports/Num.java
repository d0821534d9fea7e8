package org.apexbench.reports;

import java.math.BigDecimal;

/**
 * Locale-independent number text for CSV: the shortest decimal that reads back as the same double
 * ({@link Double#toString}), without exponent notation, so the same input gives the same bytes on every
 * machine and every locale. NaN (undefined) is the empty string.
 */
final class Num {
    private Num() {}

    static String format(double v) {
        if (Double.isNaN(v)) return "";
        if (Double.isInfinite(v)) throw new IllegalArgumentException("cannot write an infinite value to CSV");
        String s = Double.toString(v);
        return s.indexOf('E') < 0 ? s : new BigDecimal(s).toPlainString();
    }

    static double parse(String s, String what) {
        if (s.isEmpty()) return Double.NaN;
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": expected a number, got '" + s + "'", e);
        }
    }

    static long parseLong(String s, String what) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + ": expected an integer, got '" + s + "'", e);
        }
    }
}
