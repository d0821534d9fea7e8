package org.apexbench.workloads;

import java.util.random.RandomGenerator;

/**
 * Gamma(shape, 1) variates by Marsaglia and Tsang's squeeze method (ACM TOMS 26(3), 2000):
 * d = shape - 1/3, c = 1/sqrt(9d); draw normal x until v = (1 + c x)^3 > 0 and
 * log U < x^2/2 + d - d v + d log v; return d v. For shape &lt; 1, Gamma(shape + 1) * U^(1/shape).
 */
final class GammaSampler {
    private GammaSampler() {}

    static double sample(RandomGenerator rng, double shape) {
        if (shape < 1) {
            return sample(rng, shape + 1) * Math.pow(rng.nextDouble(), 1 / shape);
        }
        double d = shape - 1.0 / 3;
        double c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x = rng.nextGaussian();
            double v = 1 + c * x;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = rng.nextDouble();
            if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
                return d * v;
            }
        }
    }
}
