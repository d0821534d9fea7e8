package org.apexbench.reports;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apexbench.profiler.IterationRecord;
import org.apexbench.profiler.Op;
import org.apexbench.profiler.Resource;
import org.apexbench.profiler.SubtaskRecord;

/**
 * Gantt chart of subtasks: one lane per resource, one bar per subtask coloured by op, so CPU attention that
 * runs while the GPU computes (the overlap hybrid engines live on) is visible at a glance. XChart has no
 * Gantt chart, so this one is drawn with Java2D.
 */
final class TimelineChart {
    private TimelineChart() {}

    private static final int LEFT = 110, RIGHT = 20, TOP = 40, LANE = 34, AXIS = 40, LEGEND_ROW = 22;
    private static final Map<Op, Color> COLORS = new EnumMap<>(Op.class);

    static {
        COLORS.put(Op.EMBED, new Color(0x9e9e9e));
        COLORS.put(Op.PRE, new Color(0x1f77b4));
        COLORS.put(Op.POST, new Color(0x6baed6));
        COLORS.put(Op.PREFILL_ATTN, new Color(0x9467bd));
        COLORS.put(Op.GPU_DECODE_ATTN, new Color(0x2ca02c));
        COLORS.put(Op.CPU_DECODE_ATTN, new Color(0xd62728));
        COLORS.put(Op.LM_HEAD, new Color(0x17becf));
        COLORS.put(Op.QKV_D2H, new Color(0xff7f0e));
        COLORS.put(Op.ATTN_OUT_H2D, new Color(0xffbb78));
        COLORS.put(Op.SWAP_IN, new Color(0x8c564b));
        COLORS.put(Op.SWAP_OUT, new Color(0xc49c94));
        COLORS.put(Op.LAUNCH, new Color(0xbcbd22));
    }

    /**
     * Picks the window to draw: {@code count} consecutive iterations that have subtask records, chosen by
     * {@link #pickWindow} among them.
     */
    static List<Long> window(List<IterationRecord> iterations, List<SubtaskRecord> subtasks, int count) {
        Set<Long> recorded = new java.util.TreeSet<>();
        for (SubtaskRecord s : subtasks) recorded.add(s.iteration());
        List<IterationRecord> candidates = iterations.stream().filter(it -> recorded.contains(it.iteration())).toList();
        if (candidates.isEmpty()) {
            List<Long> ids = new ArrayList<>(recorded);
            return ids.subList(0, Math.min(count, ids.size()));
        }
        return pickWindow(candidates, count);
    }

    /**
     * {@code count} consecutive iterations from the middle of the run, moved to the nearest iteration that ran
     * CPU attention (after the middle first, then before it), since the overlap is what the timeline shows.
     */
    static List<Long> pickWindow(List<IterationRecord> iterations, int count) {
        if (iterations.isEmpty()) return List.of();
        int mid = iterations.size() / 2, start = mid;
        int after = -1, before = -1;
        for (int i = mid; i < iterations.size() && after < 0; i++) if (iterations.get(i).cpuDecodes() > 0) after = i;
        for (int i = mid - 1; i >= 0 && before < 0; i--) if (iterations.get(i).cpuDecodes() > 0) before = i;
        if (after >= 0) start = after;
        else if (before >= 0) start = Math.max(0, before - count + 1);
        List<Long> out = new ArrayList<>();
        for (int i = start; i < iterations.size() && out.size() < count; i++) out.add(iterations.get(i).iteration());
        return out;
    }

    /** Draws the subtasks that intersect [t0, t1]. */
    static BufferedImage render(List<SubtaskRecord> subtasks, double t0, double t1, String title, int width) {
        EnumSet<Resource> lanes = EnumSet.noneOf(Resource.class);
        EnumSet<Op> ops = EnumSet.noneOf(Op.class);
        List<SubtaskRecord> shown = new ArrayList<>();
        for (SubtaskRecord s : subtasks) {
            if (s.endSec() >= t0 && s.startSec() <= t1) {
                shown.add(s);
                lanes.add(s.resource());
                ops.add(s.op());
            }
        }
        lanes.add(Resource.GPU);
        lanes.add(Resource.CPU_ATTN);
        List<Resource> laneList = new ArrayList<>(lanes);
        int plotW = width - LEFT - RIGHT;
        int legendRows = (ops.size() + 5) / 6;
        int height = TOP + laneList.size() * LANE + AXIS + legendRows * LEGEND_ROW + 10;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
            g.drawString(title, LEFT, 22);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            double span = Math.max(t1 - t0, 1e-12);
            for (int lane = 0; lane < laneList.size(); lane++) {
                int y = TOP + lane * LANE;
                g.setColor(lane % 2 == 0 ? new Color(0xf4f4f4) : Color.WHITE);
                g.fillRect(LEFT, y, plotW, LANE);
                g.setColor(Color.BLACK);
                g.drawString(laneList.get(lane).name(), 8, y + LANE / 2 + 5);
            }
            for (SubtaskRecord s : shown) {
                int lane = laneList.indexOf(s.resource());
                double a = Math.max(s.startSec(), t0), b = Math.min(s.endSec(), t1);
                int x0 = LEFT + (int) Math.round((a - t0) / span * plotW);
                int x1 = LEFT + (int) Math.round((b - t0) / span * plotW);
                // Stage 1 (second sub-batch of a pipelined plan) sits in the lower half of the lane.
                int y = TOP + lane * LANE + 4 + (s.stage() == 1 ? (LANE - 8) / 2 : 0);
                int h = s.stage() == 1 ? (LANE - 8) / 2 : LANE - 8;
                g.setColor(COLORS.getOrDefault(s.op(), Color.GRAY));
                // A 1-pixel gap keeps back-to-back subtasks of the same op distinguishable.
                g.fillRect(x0, y, Math.max(1, x1 - x0 - (x1 - x0 >= 4 ? 1 : 0)), h);
            }
            int axisY = TOP + laneList.size() * LANE;
            g.setColor(Color.BLACK);
            g.drawLine(LEFT, axisY, LEFT + plotW, axisY);
            double tickMs = niceStep(span * 1e3 / 8);
            for (double ms = 0; ms <= span * 1e3 + 1e-9; ms += tickMs) {
                int x = LEFT + (int) Math.round(ms / (span * 1e3) * plotW);
                g.drawLine(x, axisY, x, axisY + 5);
                String label = String.format(Locale.ROOT, tickMs < 1 ? "%.2f" : "%.0f", ms);
                g.drawString(label, x - g.getFontMetrics().stringWidth(label) / 2, axisY + 18);
            }
            g.drawString(String.format(Locale.ROOT, "ms since %.6f s", t0), LEFT + plotW - 160, axisY + 34);
            int i = 0;
            for (Op op : ops) {
                int x = LEFT + (i % 6) * (plotW / 6);
                int y = axisY + AXIS + (i / 6) * LEGEND_ROW;
                g.setColor(COLORS.getOrDefault(op, Color.GRAY));
                g.fillRect(x, y, 14, 12);
                g.setColor(Color.BLACK);
                g.drawString(op.name(), x + 18, y + 11);
                i++;
            }
            g.setStroke(new BasicStroke(1));
        } finally {
            g.dispose();
        }
        return img;
    }

    private static double niceStep(double raw) {
        double exp = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * exp >= raw) return m * exp;
        }
        return 10 * exp;
    }
}
