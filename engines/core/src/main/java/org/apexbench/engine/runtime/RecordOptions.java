package org.apexbench.engine.runtime;

/**
 * Which records a run keeps. Request records are always kept.
 *
 * @param iterations        keep one IterationRecord per iteration
 * @param subtaskFrom       first iteration whose SubtaskRecords are kept
 * @param subtaskTo         iteration after the last one whose SubtaskRecords are kept (subtaskFrom = subtaskTo: none)
 */
public record RecordOptions(boolean iterations, long subtaskFrom, long subtaskTo) {
    public static final RecordOptions DEFAULT = new RecordOptions(true, 0, 0);
    public static final RecordOptions ALL = new RecordOptions(true, 0, Long.MAX_VALUE);
    /** Neither iteration nor subtask records (a server's loop, which runs for as long as it serves). */
    public static final RecordOptions NONE = new RecordOptions(false, 0, 0);

    public RecordOptions {
        if (subtaskFrom < 0 || subtaskTo < subtaskFrom) throw new IllegalArgumentException("subtask window must be 0 <= from <= to");
    }

    public boolean subtasks(long iteration) { return iteration >= subtaskFrom && iteration < subtaskTo; }
}
