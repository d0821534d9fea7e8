package org.apexbench.workloads;

/**
 * numpy's legacy generator ({@code numpy.random.seed(s)} then {@code numpy.random.exponential(...)}, i.e.
 * {@code RandomState}): MT19937 seeded by its 32-bit integer rule (init_genrand), doubles from two 32-bit words
 * (27 + 26 bits), exponentials by inversion. Published experiments that draw their arrivals this way (NEO's
 * {@code evaluation/benchmark.py}: {@code np.random.seed(0)}, {@code np.random.exponential(1 / rate, n)}) are reproduced
 * draw for draw; the values match numpy's bit for bit (tested against numpy 2.4's output).
 */
final class NumpyLegacyRandom {
    private static final int N = 624;
    private static final int M = 397;
    private final int[] mt = new int[N];
    private int index = N;

    /** {@code numpy.random.seed(seed)}: numpy accepts 0 to 2^32 - 1 for an integer seed. */
    NumpyLegacyRandom(long seed) {
        if (seed < 0 || seed > 0xFFFF_FFFFL) {
            throw new WorkloadException("numpy's legacy generator takes a seed from 0 to 4294967295, got " + seed);
        }
        mt[0] = (int) seed;
        for (int i = 1; i < N; i++) {
            mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        }
    }

    /** Next 32-bit word of MT19937, as an unsigned value in a long. */
    long nextWord() {
        if (index >= N) twist();
        int y = mt[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9D2C5680;
        y ^= (y << 15) & 0xEFC60000;
        y ^= y >>> 18;
        return y & 0xFFFF_FFFFL;
    }

    private void twist() {
        for (int i = 0; i < N; i++) {
            int y = (mt[i] & 0x8000_0000) | (mt[(i + 1) % N] & 0x7FFF_FFFF);
            mt[i] = mt[(i + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908_B0DF : 0);
        }
        index = 0;
    }

    /** {@code numpy.random.random_sample()}: (a * 2^26 + b) / 2^53 with a, b the top 27 and 26 bits of two words. */
    double nextDouble() {
        long a = nextWord() >>> 5;
        long b = nextWord() >>> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    /** {@code numpy.random.exponential(scale)}: scale * -log(1 - u). */
    double nextExponential(double scale) {
        return scale * -Math.log(1.0 - nextDouble());
    }
}
