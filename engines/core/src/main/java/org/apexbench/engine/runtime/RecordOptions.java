package org.apexbench.engine.runtime;

/**
 * Which records a run keeps. Request records are always kept.
 *
 * @param iterations        keep one IterationRecord per iteration
 * @param subtaskFrom       first iteration whose SubtaskRecords are kept
 * @param subtaskTo         iteration after the last one whose SubtaskRecords are kept (subtaskFrom = subtaskTo: none)
 * @param window            null, or the window, known at the end of the run, to which the subtask records kept in
 *                          [subtaskFrom, subtaskTo) are cut ({@link #window(SubtaskWindow)})
 */
public record RecordOptions(boolean iterations, long subtaskFrom, long subtaskTo, SubtaskWindow window) {
    public static final RecordOptions DEFAULT = new RecordOptions(true, 0, 0);
    public static final RecordOptions ALL = new RecordOptions(true, 0, Long.MAX_VALUE);
    /** Neither iteration nor subtask records (a server's loop, which runs for as long as it serves). */
    public static final RecordOptions NONE = new RecordOptions(false, 0, 0);

    public RecordOptions {
        if (subtaskFrom < 0 || subtaskTo < subtaskFrom) throw new IllegalArgumentException("subtask window must be 0 <= from <= to");
        if (window != null && !iterations) throw new IllegalArgumentException("a subtask window is picked from the iteration records");
    }

    /** Iteration records, and subtask records of iterations in [subtaskFrom, subtaskTo). */
    public RecordOptions(boolean iterations, long subtaskFrom, long subtaskTo) { this(iterations, subtaskFrom, subtaskTo, null); }

    /** Iteration records, and the subtask records of the iterations {@code window} picks at the end of the run. */
    public static RecordOptions window(SubtaskWindow window) {
        return new RecordOptions(true, 0, Long.MAX_VALUE, java.util.Objects.requireNonNull(window, "window"));
    }

    public boolean subtasks(long iteration) { return iteration >= subtaskFrom && iteration < subtaskTo; }
}
