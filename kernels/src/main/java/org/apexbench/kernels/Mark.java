package org.apexbench.kernels;

/**
 * A point in a lane's order of work, for timing spans of device work ({@link HostBridge#mark}). On cuda a
 * timing event (the time the GPU reached it, not when the call enqueued it); on cpu the wall clock when
 * {@link HostBridge#mark} ran. Read with {@link HostBridge#elapsedSeconds}; marks of an iteration are given
 * back by {@link HostBridge#endIteration}.
 */
public interface Mark {}
