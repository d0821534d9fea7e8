package org.apexbench.reports;

/**
 * A result folder cannot be written where asked (its --out is empty, unwritable, in use or not empty) or read
 * (no manifest, or files that disagree with it). The message names the folder and says what is wrong.
 */
public final class ResultFolderException extends IllegalArgumentException {
    public ResultFolderException(String message) { super(message); }

    public ResultFolderException(String message, Throwable cause) { super(message, cause); }
}
