package org.apexbench.engine.gpuonly;

import org.apexbench.profiler.model.ModelGeometry;
import org.apexbench.engine.sim.SimSetup;
import org.apexbench.profiler.SubtaskTimer;
import org.apexbench.profiler.hardware.HardwareSpecs;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Llama-2-7B on the simulated T4 (its roofline cost model), and small request lists. */
final class SimFixture {
    static final ModelGeometry LLAMA2_7B = org.apexbench.model.ModelPresets.geometry("llama-2-7b");
    static final SubtaskTimer T4 = SimSetup.cost(HardwareSpecs.builtIn("t4-g4dn.4xlarge"), org.apexbench.model.ModelPresets.geometry("llama-2-7b"));

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
