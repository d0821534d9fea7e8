package org.apexbench.profiler.table;

/** A profile file that cannot be used: unreadable, malformed, or holding tables that are not times. The message names it. */
public final class ProfileException extends IllegalArgumentException {
    public ProfileException(String message) { super(message); }

    public ProfileException(String message, Throwable cause) { super(message, cause); }
}
