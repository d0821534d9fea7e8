package org.apexbench.reports;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A result folder being written: complete, or not there at all.
 *
 * <p>{@link #create} checks the destination before any work starts (a path is given, its parent can be
 * created and written, it is not a file, it is empty unless replacing is allowed), takes a lock that stops a
 * second writer, and makes an empty hidden sibling, {@code .NAME.partial-ID}, that the command writes into
 * ({@link #staging()}). {@link #commit} writes the {@link Manifest} last and moves the sibling into place in
 * one rename; an existing folder is moved aside first and deleted after, so the destination never holds a
 * mixture of two runs. {@link #close} without a commit (an error, or Ctrl-C through a shutdown hook) deletes
 * the sibling. The lock is a hidden file {@code .NAME.lock} beside the destination held with an OS file lock, so it
 * dies with its process; partial siblings a killed process left behind are removed by the next writer.
 */
public final class ResultFolder implements AutoCloseable {
    /** What to do with a destination that exists and is not empty. */
    public enum Existing {
        /** Refuse it (the default for an explicit --out). */
        REFUSE,
        /**
         * Replace it whole, never merge (--force, and a command's own default folder); only a folder that holds
         * nothing but files apex writes is ever replaced, so a mistyped --out cannot delete someone's work.
         */
        REPLACE
    }

    /** Every file name a result folder may hold; a folder of only these (at any depth) may be replaced. */
    static final Set<String> RESULT_FILES = Set.of(Manifest.FILE, RunDirectory.REQUESTS, RunDirectory.ITERATIONS,
            RunDirectory.SUBTASKS, RunDirectory.COMPARISON, JsonFiles.SUMMARY, JsonFiles.ENVIRONMENT, HtmlReport.FILE, VllmResultFile.FILE,
            "tokens.jsonl", "sweep.csv", "sweep.html", "max_rate.csv", "paper.md", "paper.csv", FidelityReport.SUMMARY_CSV,
            FidelityReport.POINTS_CSV, FidelityReport.HTML,
            NeoReport.CSV, NeoReport.HTML, ValidationReport.CSV, ValidationReport.HTML, ValidationReport.PROFILE,
            IterationBreakdown.FILE, IterationBreakdown.TPOT_FILE,
            ValidationSummary.CSV, ValidationSummary.HTML,
            CapacityReport.CSV, CapacityReport.SUMMARY_CSV, CapacityReport.HTML, CapacityProbes.CSV);

    private final Path target;
    private final String option;
    private final Existing existing;
    private final Path staging;
    private final Lock lock;
    private final Thread cleanup;
    private boolean committed;

    private ResultFolder(Path target, String option, Existing existing, Path staging, Lock lock) {
        this.target = target;
        this.option = option;
        this.existing = existing;
        this.staging = staging;
        this.lock = lock;
        this.cleanup = new Thread(() -> deleteTree(staging), "apex-result-folder-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    /**
     * Prepares to write the result folder {@code out}, checking it first.
     *
     * @param option how the user named it, for messages (e.g. {@code --out})
     */
    public static ResultFolder create(Path out, String option, Existing existing) {
        if (out == null || out.toString().isBlank()) {
            throw new ResultFolderException(option + ": the path is empty; give the folder to write the results into");
        }
        Path target = out.toAbsolutePath().normalize();
        Path parent = target.getParent();
        if (parent == null) throw new ResultFolderException(option + " " + out + ": the root folder cannot be a result folder");
        Path cwd = Path.of("").toAbsolutePath().normalize();
        if (cwd.startsWith(target)) {
            throw new ResultFolderException(option + " " + out + ": is the current folder or holds it; give a folder of its own");
        }
        checkExisting(target, out, option, existing);
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw new ResultFolderException(option + " " + out + ": cannot create its parent folder " + parent + ": " + reason(e), e);
        }
        if (!Files.isWritable(parent)) throw new ResultFolderException(option + " " + out + ": cannot write in " + parent + " (permission denied)");
        Lock lock = Lock.acquire(target, option + " " + out);
        try {
            removeLeftovers(target);
            Path staging = parent.resolve("." + target.getFileName() + ".partial-" + ProcessHandle.current().pid() + "-"
                    + UUID.randomUUID().toString().substring(0, 8));
            try {
                Files.createDirectory(staging);
            } catch (IOException e) {
                throw new ResultFolderException(option + " " + out + ": cannot write in " + parent + ": " + reason(e), e);
            }
            return new ResultFolder(target, option, existing, staging, lock);
        } catch (RuntimeException e) {
            lock.release();
            throw e;
        }
    }

    /** Where the command writes its files until {@link #commit}. */
    public Path staging() { return staging; }

    /** Where the folder will be once committed. */
    public Path target() { return target; }

    /**
     * Writes the manifest (every file now in the staging folder, with sizes and checksums) and moves the folder
     * into place; returns the manifest.
     */
    public Manifest commit(String kind, List<String> arguments, List<Manifest.Engine> engines) {
        if (committed) throw new IllegalStateException(target + " was already committed");
        Manifest m = Manifest.describe(staging, kind, arguments, engines);
        m.write(staging);
        try {
            if (Files.exists(target)) {
                checkExisting(target, target, option, existing);
                Path aside = target.resolveSibling("." + target.getFileName() + ".replaced-" + UUID.randomUUID().toString().substring(0, 8));
                Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
                try {
                    Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    Files.move(aside, target, StandardCopyOption.ATOMIC_MOVE);
                    throw e;
                }
                committed = true;
                deleteTree(aside);
            } else {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
                committed = true;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move the finished results into " + target + ": " + reason(e), e);
        }
        return m;
    }

    /** Deletes the staging folder unless committed, and releases the lock. */
    @Override
    public void close() {
        try {
            if (!committed) deleteTree(staging);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or will run; it deletes the same folder
            }
        } finally {
            lock.release();
        }
    }

    /**
     * Runs {@code body} holding the lock of the existing result folder {@code dir} (e.g. `apex report` rewriting
     * its report.html and manifest), so that no writer replaces it meanwhile.
     */
    public static <T> T locked(Path dir, java.util.function.Supplier<T> body) {
        Lock lock = Lock.acquire(dir.toAbsolutePath().normalize(), dir.toString());
        try {
            return body.get();
        } finally {
            lock.release();
        }
    }

    private static void checkExisting(Path target, Path out, String option, Existing existing) {
        if (!Files.exists(target)) return;
        if (!Files.isDirectory(target)) throw new ResultFolderException(option + " " + out + ": exists and is not a folder");
        List<String> entries = entries(target);
        if (entries.isEmpty()) return;
        if (existing == Existing.REFUSE) {
            throw new ResultFolderException(option + " " + out + ": is not empty (" + listed(entries)
                    + "); results are never merged into a used folder: give a new folder, or --force to replace this one whole");
        }
        List<String> foreign = foreignFiles(target);
        if (!foreign.isEmpty()) {
            throw new ResultFolderException(option + " " + out + ": holds files apex did not write (" + listed(foreign)
                    + "); only a result folder is ever replaced: give a new or empty folder");
        }
    }

    /** Files under {@code dir} whose names a result folder never has. */
    private static List<String> foreignFiles(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !Files.isDirectory(p)).filter(p -> !RESULT_FILES.contains(p.getFileName().toString()))
                    .map(p -> dir.relativize(p).toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    private static List<String> entries(Path dir) {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) names.add(p.getFileName().toString());
        } catch (IOException e) {
            throw new ResultFolderException("cannot list " + dir + ": " + reason(e), e);
        }
        names.sort(null);
        return names;
    }

    private static String listed(List<String> names) {
        int shown = Math.min(names.size(), 5);
        return names.size() + (names.size() == 1 ? " entry: " : " entries: ") + String.join(", ", names.subList(0, shown))
                + (shown < names.size() ? ", ..." : "");
    }

    /** Partial and set-aside siblings of {@code target} that a killed process left (we hold the lock, so none is live). */
    private static void removeLeftovers(Path target) {
        String name = target.getFileName().toString();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(target.getParent(),
                p -> p.getFileName().toString().startsWith("." + name + ".partial-")
                        || p.getFileName().toString().startsWith("." + name + ".replaced-"))) {
            for (Path p : s) deleteTree(p);
        } catch (IOException e) {
            // leftovers are hidden and harmless; never fail a run over them
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException | UncheckedIOException e) {
            // best effort: a folder we cannot delete stays hidden under its dot-name
        }
    }

    private static String reason(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName().replace("Exception", "") + (m == null ? "" : " (" + m + ")");
    }

    /**
     * {@code .NAME.lock} beside the folder, held with an OS file lock (released by the OS if the process dies). The file
     * stays (it holds only the last writer's process id): deleting it would let a waiting process lock a file no
     * longer at that path. POSIX releases a process's locks on a file when it closes any descriptor of that file, so a
     * holder never opens it again, and locks this process holds are also kept in {@link #HELD}.
     */
    private static final class Lock {
        private static final Set<Path> HELD = java.util.concurrent.ConcurrentHashMap.newKeySet();

        private final Path file;
        private final FileChannel channel;
        private final FileLock lock;

        private Lock(Path file, FileChannel channel, FileLock lock) {
            this.file = file;
            this.channel = channel;
            this.lock = lock;
        }

        static Lock acquire(Path target, String what) {
            Path file = target.resolveSibling("." + target.getFileName() + ".lock");
            if (!HELD.add(file)) throw busy(what, file, "this process");
            try {
                FileChannel ch;
                try {
                    ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
                } catch (IOException e) {
                    throw new ResultFolderException(what + ": cannot create the lock file " + file + ": " + reason(e), e);
                }
                FileLock l;
                try {
                    l = ch.tryLock();
                } catch (IOException | OverlappingFileLockException e) {
                    close(ch);
                    throw new ResultFolderException(what + ": cannot lock " + file + ": " + e, e);
                }
                if (l == null) {
                    close(ch);   // we hold no lock on this file: closing releases nothing of ours
                    String holder = holder(file);
                    throw busy(what, file, holder.isEmpty() ? "" : "process " + holder);
                }
                try {
                    ch.truncate(0);
                    ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
                } catch (IOException e) {
                    // the id is only for messages
                }
                return new Lock(file, ch, l);
            } catch (RuntimeException e) {
                HELD.remove(file);
                throw e;
            }
        }

        private static ResultFolderException busy(String what, Path file, String holder) {
            return new ResultFolderException(what + ": another apex command is writing it (lock " + file
                    + (holder.isEmpty() ? "" : " held by " + holder) + "); wait for it to finish or give another folder");
        }

        void release() {
            try {
                lock.release();
            } catch (IOException e) {
                // closing the channel releases it too
            } finally {
                close(channel);
                HELD.remove(file);
            }
        }

        private static String holder(Path file) {
            try {
                return Files.readString(file).strip();
            } catch (IOException e) {
                return "";
            }
        }

        private static void close(FileChannel ch) {
            try {
                ch.close();
            } catch (IOException e) {
                // nothing left to release
            }
        }
    }
}
