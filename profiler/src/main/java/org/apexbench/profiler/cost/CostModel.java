package org.apexbench.profiler.cost;

import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.SubtaskTimer;

import java.util.random.RandomGenerator;

/**
 * How long a subtask takes in the simulator. Per layer for PRE, POST and the attention ops; whole
 * for EMBED, LM_HEAD, copies and LAUNCH (see {@link SubtaskFeatures}). Schedulers must not read a
 * cost model: they get tables by profiling it through {@code ProfileSweep}, as they would real hardware.
 */
public sealed interface CostModel extends SubtaskTimer permits RooflineCostModel, TableCostModel {

    /** Noise-free duration, seconds. */
    @Override
    double seconds(Op op, SubtaskFeatures features);

    /** The noise this model applies in {@link #seconds(Op, SubtaskFeatures, RandomGenerator)}. */
    Jitter jitter();

    /** Duration with this model's jitter drawn from {@code rng} (see {@link Jitter#stream}). */
    default double seconds(Op op, SubtaskFeatures features, RandomGenerator rng) {
        return jitter().apply(seconds(op, features), rng);
    }

    /** What this model is, for reports. */
    String describe();
}
