package org.apexbench.engine.plan;

import org.apexbench.engine.Strategy;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.Resource;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What runs where within one layer, one description per {@link Strategy} (docs/architecture.md#the-planning-layer).
 * Everything that depends on a strategy's meaning is derived from it:
 * <ul>
 * <li>the simulator's per-layer DAG and the real executor's issue order come from the {@link #nodes()}: the
 *     subtasks of one step in issue order, each with its sub-batch, its layer offset, when it is present and
 *     what it waits for;</li>
 * <li>the schedulers' closed-form predictions and the busy-time accounting come from the {@link #windows()}:
 *     per layer, the sum over windows of max(GPU lane, CPU lane), each lane a sum of {@link LaneCosts} terms.</li>
 * </ul>
 * A step of a single-batch layout is one layer; the pipelined layouts run NEO's L+1 steps, each step k holding
 * window A (post(k-1) + pre(k) of sub-batch 0 on the GPU while the CPU attends sub-batch 1's layer k-1) and
 * window B (post(k-1) + pre(k) of sub-batch 1 and sub-batch 0's GPU attention of layer k while the CPU attends
 * sub-batch 0's layer k). The window view is the DAG's steady state: a closed form prices pre and post of a
 * sub-batch together as its linear term.
 */
public final class LayerLayout {
    /** When a node is part of an iteration. */
    public enum Presence {
        /** Always (a single batch's pre and post run even over zero rows). */
        ALWAYS,
        /** The sub-batch has rows. */
        ROWS,
        /** The sub-batch has CPU decodes. */
        CPU_ROWS,
        /** The sub-batch has prefill chunks. */
        PREFILLS,
        /** The sub-batch has GPU decodes. */
        GPU_DECODES,
        /** The sub-batch has prefill tokens whose KV goes to the host pool. */
        HOST_PREFILL,
        /** The host runtime is NEO's single thread (a launch charge per stage). */
        SINGLE_THREAD;

        /** Whether a node with this presence runs for sub-batch {@code s}. */
        public boolean test(SubBatches.Shape s, boolean singleThread) {
            return switch (this) {
                case ALWAYS -> true;
                case ROWS -> s.width() > 0;
                case CPU_ROWS -> s.cpuDecodes > 0;
                case PREFILLS -> s.prefillSeqs > 0;
                case GPU_DECODES -> s.gpuDecodes > 0;
                case HOST_PREFILL -> s.hostPrefillTokens > 0;
                case SINGLE_THREAD -> singleThread;
            };
        }
    }

    /** Node {@code node} of the same step ({@code delta} 0) or of the previous step (-1) must finish first. */
    public record Dep(int node, int delta) { }

    /**
     * One subtask of a step: {@code op} on sub-batch {@code subBatch}, working on layer {@code step + offset}
     * (skipped outside 0..L-1).
     */
    public record Node(Op op, int subBatch, int offset, Presence presence, List<Dep> deps) {
        public Resource resource() { return op.resource(); }
    }

    /** A term of a lane: a {@link LaneCosts} price of one sub-batch. */
    public enum Term { LINEAR, PREFILL, GPU_DECODE, CPU_PATH }

    /**
     * One window: the GPU lane's terms in the order they are added, and the sub-batch whose CPU path (plus the
     * stage's launch) is the CPU lane, -1 for none. A CPU_PATH term in the GPU lane is a CPU path the GPU waits
     * for (no overlap).
     */
    public record Window(List<Term> gpuTerms, List<Integer> gpuSubBatches, int cpuSubBatch) { }

    private static final Map<Strategy, LayerLayout> LAYOUTS = new EnumMap<>(Strategy.class);

    static {
        LAYOUTS.put(Strategy.GPU_ONLY, singleBatch(Strategy.GPU_ONLY, false,
                new Window(List.of(Term.LINEAR, Term.PREFILL, Term.GPU_DECODE), List.of(0, 0, 0), -1)));
        LAYOUTS.put(Strategy.ASYNC_OVERLAP, singleBatch(Strategy.ASYNC_OVERLAP, false,
                new Window(List.of(Term.LINEAR), List.of(0), -1),
                new Window(List.of(Term.PREFILL, Term.GPU_DECODE), List.of(0, 0), 0)));
        LAYOUTS.put(Strategy.OFFLOAD_SERIAL, singleBatch(Strategy.OFFLOAD_SERIAL, true,
                new Window(List.of(Term.LINEAR, Term.CPU_PATH, Term.PREFILL, Term.GPU_DECODE), List.of(0, 0, 0, 0), -1)));
        LAYOUTS.put(Strategy.ASYMMETRIC_PIPELINE, pipelined(Strategy.ASYMMETRIC_PIPELINE));
        LAYOUTS.put(Strategy.SYMMETRIC_PIPELINE, pipelined(Strategy.SYMMETRIC_PIPELINE));
    }

    /** The layout of {@code s}. */
    public static LayerLayout of(Strategy s) { return LAYOUTS.get(s); }

    /**
     * GPU_ONLY, ASYNC_OVERLAP and OFFLOAD_SERIAL: one batch, one step per layer. pre, then the CPU rows' q/k/v
     * copy, CPU attention and output copy beside the GPU attention (OFFLOAD_SERIAL: the GPU attention waits for
     * the output), host-bound prefill KV streamed out, post after all of them.
     */
    private static LayerLayout singleBatch(Strategy s, boolean serial, Window... windows) {
        Builder b = new Builder(s, 0, windows);
        int pre = b.node(Op.PRE, 0, 0, Presence.ALWAYS);
        int d2h = b.node(Op.QKV_D2H, 0, 0, Presence.CPU_ROWS);
        int cpuAttn = b.node(Op.CPU_DECODE_ATTN, 0, 0, Presence.CPU_ROWS);
        int h2d = b.node(Op.ATTN_OUT_H2D, 0, 0, Presence.CPU_ROWS);
        int pAttn = b.node(Op.PREFILL_ATTN, 0, 0, Presence.PREFILLS);
        int gAttn = b.node(Op.GPU_DECODE_ATTN, 0, 0, Presence.GPU_DECODES);
        int kvOut = b.node(Op.SWAP_OUT, 0, 0, Presence.HOST_PREFILL);
        int post = b.node(Op.POST, 0, 0, Presence.ALWAYS);
        b.dep(pre, post, -1);
        b.dep(d2h, pre, 0);
        b.dep(cpuAttn, d2h, 0);
        b.dep(h2d, cpuAttn, 0);
        b.dep(pAttn, pre, 0);
        b.dep(gAttn, pre, 0);
        if (serial) {
            b.dep(pAttn, h2d, 0);
            b.dep(gAttn, h2d, 0);
        }
        b.dep(kvOut, pre, 0);
        b.dep(post, pre, 0);
        b.dep(post, pAttn, 0);
        b.dep(post, gAttn, 0);
        b.dep(post, h2d, 0);
        return b.build();
    }

    /**
     * ASYMMETRIC_PIPELINE and SYMMETRIC_PIPELINE: NEO's per-layer schedule (docs/engines.md#neo) over L+1
     * steps (the first is the prologue, the last the epilogue). With NEO's single host thread, that thread
     * launches stage A after finishing sub-batch 0's CPU attention of the previous step, attends sub-batch 1
     * after launching stage A, launches stage B after that, and attends sub-batch 0 last.
     */
    private static LayerLayout pipelined(Strategy s) {
        Builder b = new Builder(s, 1,
                new Window(List.of(Term.LINEAR), List.of(0), 1),
                new Window(List.of(Term.LINEAR, Term.PREFILL, Term.GPU_DECODE), List.of(1, 0, 0), 0));
        int launchA = b.node(Op.LAUNCH, 0, 0, Presence.SINGLE_THREAD);
        int d2h1 = b.node(Op.QKV_D2H, 1, -1, Presence.CPU_ROWS);
        int post0 = b.node(Op.POST, 0, -1, Presence.ROWS);
        int pre0 = b.node(Op.PRE, 0, 0, Presence.ROWS);
        int kvOut = b.node(Op.SWAP_OUT, 0, 0, Presence.HOST_PREFILL);
        int d2h0 = b.node(Op.QKV_D2H, 0, 0, Presence.CPU_ROWS);
        int cpuAttn1 = b.node(Op.CPU_DECODE_ATTN, 1, -1, Presence.CPU_ROWS);
        int h2d1 = b.node(Op.ATTN_OUT_H2D, 1, -1, Presence.CPU_ROWS);
        int launchB = b.node(Op.LAUNCH, 1, 0, Presence.SINGLE_THREAD);
        int post1 = b.node(Op.POST, 1, -1, Presence.ROWS);
        int pre1 = b.node(Op.PRE, 1, 0, Presence.ROWS);
        int pAttn = b.node(Op.PREFILL_ATTN, 0, 0, Presence.PREFILLS);
        int gAttn = b.node(Op.GPU_DECODE_ATTN, 0, 0, Presence.GPU_DECODES);
        int cpuAttn0 = b.node(Op.CPU_DECODE_ATTN, 0, 0, Presence.CPU_ROWS);
        int h2d0 = b.node(Op.ATTN_OUT_H2D, 0, 0, Presence.CPU_ROWS);
        b.dep(launchA, cpuAttn0, -1);
        b.dep(d2h1, pre1, -1);
        b.dep(post0, pre0, -1);
        b.dep(post0, pAttn, -1);
        b.dep(post0, gAttn, -1);
        b.dep(post0, h2d0, -1);
        b.dep(post0, launchA, 0);
        b.dep(pre0, post0, 0);
        b.dep(pre0, launchA, 0);
        b.dep(kvOut, pre0, 0);
        b.dep(d2h0, pre0, 0);
        b.dep(cpuAttn1, d2h1, 0);
        b.dep(cpuAttn1, launchA, 0);
        b.dep(h2d1, cpuAttn1, 0);
        b.dep(launchB, cpuAttn1, 0);
        b.dep(launchB, launchA, 0);
        b.dep(post1, pre1, -1);
        b.dep(post1, h2d1, 0);
        b.dep(post1, launchB, 0);
        b.dep(pre1, post1, 0);
        b.dep(pre1, launchB, 0);
        b.dep(pAttn, pre0, 0);
        b.dep(pAttn, launchB, 0);
        b.dep(gAttn, pre0, 0);
        b.dep(gAttn, launchB, 0);
        b.dep(cpuAttn0, d2h0, 0);
        b.dep(cpuAttn0, launchB, 0);
        b.dep(h2d0, cpuAttn0, 0);
        return b.build();
    }

    private final Strategy strategy;
    private final int extraSteps;
    private final List<Node> nodes;
    private final List<Window> windows;
    /** The windows as primitive arrays: evaluated per candidate in the schedulers' inner loops. */
    private final Term[][] gpuTerms;
    private final int[][] gpuSub;
    private final int[] cpuSub;

    private LayerLayout(Strategy strategy, int extraSteps, List<Node> nodes, List<Window> windows) {
        this.strategy = strategy;
        this.extraSteps = extraSteps;
        this.nodes = List.copyOf(nodes);
        this.windows = List.copyOf(windows);
        gpuTerms = new Term[windows.size()][];
        gpuSub = new int[windows.size()][];
        cpuSub = new int[windows.size()];
        for (int w = 0; w < windows.size(); w++) {
            Window win = windows.get(w);
            gpuTerms[w] = win.gpuTerms().toArray(new Term[0]);
            gpuSub[w] = win.gpuSubBatches().stream().mapToInt(Integer::intValue).toArray();
            cpuSub[w] = win.cpuSubBatch();
        }
    }

    public Strategy strategy() { return strategy; }

    /** Steps of one iteration over {@code layers} layers. */
    public int steps(int layers) { return layers + extraSteps; }

    /** The subtasks of one step, in issue order. */
    public List<Node> nodes() { return nodes; }

    public List<Window> windows() { return windows; }

    // ---- closed forms over the windows ----

    /** One layer: the sum over windows of max(GPU lane, CPU lane). */
    public double perLayer(LaneCosts c) {
        double t = 0;
        for (int w = 0; w < cpuSub.length; w++) t += Math.max(gpuLane(w, c), cpuLane(w, c));
        return t;
    }

    /** Window {@code w}'s GPU lane: its terms added in order. */
    public double gpuLane(int w, LaneCosts c) {
        Term[] terms = gpuTerms[w];
        int[] sub = gpuSub[w];
        double t = 0;
        for (int i = 0; i < terms.length; i++) t += price(terms[i], sub[i], c);
        return t;
    }

    /** Window {@code w}'s CPU lane: its sub-batch's CPU path plus the stage's launch, 0 when it has none. */
    public double cpuLane(int w, LaneCosts c) {
        int b = cpuSub[w];
        return b < 0 ? 0 : c.cpuPath[b] + c.launch;
    }

    /**
     * How much longer window {@code w}'s GPU lane is than its CPU lane: {@code (gpu - cpuPath) - launch}, &lt; 0
     * when the CPU work of the window would delay the GPU (NEO's slack).
     */
    public double slack(int w, LaneCosts c) {
        int b = cpuSub[w];
        double g = gpuLane(w, c);
        return b < 0 ? g : g - c.cpuPath[b] - c.launch;
    }

    /** GPU busy time of one layer: every GPU work term, in window order (waiting for the CPU not counted). */
    public double gpuBusy(LaneCosts c) {
        double t = 0;
        for (int w = 0; w < cpuSub.length; w++) {
            Term[] terms = gpuTerms[w];
            for (int i = 0; i < terms.length; i++) if (terms[i] != Term.CPU_PATH) t += price(terms[i], gpuSub[w][i], c);
        }
        return t;
    }

    /** CPU busy time of one layer: every CPU path, in window order (launches not counted). */
    public double cpuBusy(LaneCosts c) {
        double t = 0;
        for (int w = 0; w < cpuSub.length; w++) {
            Term[] terms = gpuTerms[w];
            for (int i = 0; i < terms.length; i++) if (terms[i] == Term.CPU_PATH) t += c.cpuPath[gpuSub[w][i]];
            if (cpuSub[w] >= 0) t += c.cpuPath[cpuSub[w]];
        }
        return t;
    }

    private static double price(Term t, int b, LaneCosts c) {
        return switch (t) {
            case LINEAR -> c.linear[b];
            case PREFILL -> c.prefill[b];
            case GPU_DECODE -> c.gpuDecode[b];
            case CPU_PATH -> c.cpuPath[b];
        };
    }

    @Override
    public String toString() { return "LayerLayout[" + strategy + ", " + nodes.size() + " nodes, " + windows.size() + " windows]"; }

    /** Collects nodes and their dependencies; same-step dependencies must point backwards. */
    private static final class Builder {
        private final Strategy strategy;
        private final int extraSteps;
        private final List<Window> windows;
        private final List<Op> ops = new ArrayList<>();
        private final List<Integer> subs = new ArrayList<>(), offsets = new ArrayList<>();
        private final List<Presence> presences = new ArrayList<>();
        private final List<List<Dep>> deps = new ArrayList<>();

        Builder(Strategy strategy, int extraSteps, Window... windows) {
            this.strategy = strategy;
            this.extraSteps = extraSteps;
            this.windows = List.of(windows);
        }

        int node(Op op, int subBatch, int offset, Presence presence) {
            ops.add(op);
            subs.add(subBatch);
            offsets.add(offset);
            presences.add(presence);
            deps.add(new ArrayList<>());
            return ops.size() - 1;
        }

        void dep(int node, int on, int delta) {
            if (delta == 0 && on >= node) throw new IllegalStateException("same-step dependency must point backwards");
            deps.get(node).add(new Dep(on, delta));
        }

        LayerLayout build() {
            List<Node> nodes = new ArrayList<>();
            for (int i = 0; i < ops.size(); i++) {
                nodes.add(new Node(ops.get(i), subs.get(i), offsets.get(i), presences.get(i), List.copyOf(deps.get(i))));
            }
            return new LayerLayout(strategy, extraSteps, nodes, windows);
        }
    }
}
