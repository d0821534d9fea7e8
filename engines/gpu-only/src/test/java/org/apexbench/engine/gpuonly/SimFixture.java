package org.apexbench.engine.gpuonly;

import org.apexbench.engine.EngineGeometry;
import org.apexbench.engine.sim.AnalyticCost;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** A Llama-2-7B-shaped model on T4-like analytic hardware, and small request lists. */
final class SimFixture {
    static final EngineGeometry LLAMA2_7B = new EngineGeometry("llama-2-7b", 32, 16384, 24576, 8192, 13_500_000_000L, 4096);
    static final AnalyticCost T4 = new AnalyticCost(405e6, 405e6, 16384, 16384, 262e6, 250e9, 45e12, 60e9, 12e9, 10e-6,
            8e-6, 50e-6);

    static List<RequestSpec> requests(int n, int prompt, int output, double rate, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        List<RequestSpec> out = new ArrayList<>();
        double t = 0;
        for (int i = 0; i < n; i++) {
            int p = prompt / 2 + rnd.nextInt(prompt);
            int o = output / 2 + rnd.nextInt(output);
            out.add(new RequestSpec("r" + i, t, new int[p], o, SamplingParams.GREEDY));
            if (rate > 0) t += -Math.log(1 - rnd.nextDouble()) / rate;
        }
        return out;
    }
}
