package org.apexbench.profiler.cost;

import org.apexbench.profiler.Op;
import org.apexbench.profiler.SubtaskFeatures;
import org.apexbench.profiler.table.Profile;

import java.util.Objects;

/**
 * Subtask times looked up in a measured {@link Profile}, so a profile taken on a real GPU replays in
 * the simulator. Keys as in {@link Profile}; a copy in n transfers costs n times the table at
 * bytes/n; LAUNCH costs rows times the per-kernel launch cost.
 */
public final class TableCostModel implements CostModel {
    private final Profile profile;
    private final Jitter jitter;

    public TableCostModel(Profile profile, Jitter jitter) {
        this.profile = Objects.requireNonNull(profile, "profile");
        this.jitter = Objects.requireNonNull(jitter, "jitter");
    }

    public TableCostModel(Profile profile) { this(profile, Jitter.NONE); }

    public Profile profile() { return profile; }

    @Override
    public Jitter jitter() { return jitter; }

    @Override
    public String describe() { return "table(" + profile.measuredWith() + " on " + profile.fingerprint().hardware() + ")"; }

    @Override
    public double seconds(Op op, SubtaskFeatures f) {
        return switch (op) {
            case PRE -> f.rows() == 0 ? 0 : profile.table(Profile.PRE).at(f.rows());
            case POST -> f.rows() == 0 ? 0 : profile.table(Profile.POST).at(f.rows());
            case EMBED -> f.rows() == 0 ? 0 : profile.table(Profile.EMBED).at(f.rows());
            case LM_HEAD -> f.rows() == 0 ? 0 : profile.table(Profile.LM_HEAD).at(f.rows());
            case PREFILL_ATTN -> f.rows() == 0 ? 0 : profile.table(Profile.PREFILL_ATTN).at(f.prefillPairs());
            case GPU_DECODE_ATTN -> f.requests() == 0 ? 0
                    : profile.table(Profile.GPU_DECODE_ATTN).at(f.requests(), f.contextTokens());
            case CPU_DECODE_ATTN -> f.requests() == 0 ? 0
                    : profile.table(Profile.CPU_DECODE_ATTN).at(f.requests(), f.contextTokens());
            case QKV_D2H, SWAP_OUT -> copy(Profile.D2H, f);
            case ATTN_OUT_H2D, SWAP_IN -> copy(Profile.H2D, f);
            case LAUNCH -> f.rows() * profile.launchSecPerKernel();
        };
    }

    private double copy(String table, SubtaskFeatures f) {
        if (f.bytes() == 0) {
            return 0;
        }
        int n = Math.max(1, f.requests());
        return n * profile.table(table).at((double) f.bytes() / n);
    }
}
