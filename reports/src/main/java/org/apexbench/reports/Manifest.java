package org.apexbench.reports;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * manifest.json: what a result folder holds and what produced it. Written last, after every other file, by
 * {@link ResultFolder#commit}; a folder without one (or whose files disagree with it) is not a result.
 *
 * <pre>
 * {
 *   "format"    : "apex-bench-result/1",
 *   "kind"      : "run" | "comparison" | "sweep" | "paper",
 *   "status"    : "complete",
 *   "arguments" : the command's arguments as given,
 *   "engines"   : [ { "label": ..., "folder": ".", or the engine's folder, "run_spec": {...} }, ... ]  (run order)
 *   "files"     : { "relative/path": { "bytes": N, "sha256": "hex" }, ... }   (every file but the manifest)
 * }
 * </pre>
 *
 * @param kind      what wrote the folder
 * @param arguments the command line's arguments
 * @param engines   engines in run order
 * @param files     every file of the folder except manifest.json, by path relative to it ('/' separated)
 */
public record Manifest(String kind, List<String> arguments, List<Engine> engines, Map<String, FileEntry> files) {
    public static final String FILE = "manifest.json";
    public static final String FORMAT = "apex-bench-result/1";
    public static final String COMPLETE = "complete";

    /**
     * @param label   the engine as named on the command line
     * @param folder  its folder relative to the result folder ("." for a single run)
     * @param runSpec what defined its run (summary.json's run_spec); empty where the kind has none
     */
    public record Engine(String label, String folder, Map<String, Object> runSpec) {
        public Engine {
            runSpec = new TreeMap<>(runSpec);
        }
    }

    /** A file's size and SHA-256 (lower-case hex). */
    public record FileEntry(long bytes, String sha256) {}

    public Manifest {
        arguments = List.copyOf(arguments);
        engines = List.copyOf(engines);
        files = new TreeMap<>(files);
    }

    /** The manifest of {@code dir} as it stands: every file in it (but a manifest) with its size and checksum. */
    public static Manifest describe(Path dir, String kind, List<String> arguments, List<Engine> engines) {
        Map<String, FileEntry> files = new TreeMap<>();
        for (Path f : listFiles(dir)) {
            String rel = relative(dir, f);
            if (!rel.equals(FILE)) files.put(rel, entry(f));
        }
        return new Manifest(kind, arguments, engines, files);
    }

    public Map<String, Object> toDocument() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("format", FORMAT);
        doc.put("kind", kind);
        doc.put("status", COMPLETE);
        doc.put("arguments", arguments);
        List<Map<String, Object>> es = new ArrayList<>();
        for (Engine e : engines) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("label", e.label());
            m.put("folder", e.folder());
            m.put("run_spec", e.runSpec());
            es.add(m);
        }
        doc.put("engines", es);
        Map<String, Object> fs = new TreeMap<>();
        files.forEach((k, v) -> fs.put(k, Map.of("bytes", v.bytes(), "sha256", v.sha256())));
        doc.put("files", fs);
        return doc;
    }

    /** Writes {@code dir/manifest.json} through a temporary file, so a reader sees the old or the new one. */
    public void write(Path dir) {
        Path tmp = dir.resolve("." + FILE + ".tmp");
        JsonFiles.write(tmp, toDocument());
        try {
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(FILE), e);
        }
    }

    /** This manifest with {@code rel}'s entry set to the file as it is now in {@code dir}. */
    public Manifest withFile(Path dir, String rel) {
        Map<String, FileEntry> f = new TreeMap<>(files);
        f.put(rel, entry(dir.resolve(rel)));
        return new Manifest(kind, arguments, engines, f);
    }

    /**
     * Reads {@code dir}'s manifest and checks the folder against it: every listed file present with its size
     * and checksum, no file that it does not list. Throws {@link ResultFolderException} saying exactly what is
     * missing, different or extra.
     */
    public static Manifest verify(Path dir) {
        Manifest m = read(dir);
        List<String> problems = new ArrayList<>();
        for (var e : m.files.entrySet()) {
            Path f = dir.resolve(e.getKey());
            if (!Files.isRegularFile(f)) {
                problems.add(e.getKey() + " is missing");
                continue;
            }
            FileEntry now = entry(f);
            if (now.bytes() != e.getValue().bytes()) {
                problems.add(e.getKey() + " has " + now.bytes() + " bytes, the manifest says " + e.getValue().bytes());
            } else if (!now.sha256().equals(e.getValue().sha256())) {
                problems.add(e.getKey() + " differs from the manifest's checksum (changed after the run)");
            }
        }
        for (Path f : listFiles(dir)) {
            String rel = relative(dir, f);
            if (!rel.equals(FILE) && !m.files.containsKey(rel)) problems.add(rel + " is not listed in the manifest (a stale or foreign file)");
        }
        for (Engine e : m.engines) {
            if (!Files.isDirectory(dir.resolve(e.folder()))) problems.add("engine " + e.label() + ": folder " + e.folder() + " is missing");
        }
        if (!problems.isEmpty()) {
            int shown = Math.min(problems.size(), 12);
            throw new ResultFolderException(dir + " is not a complete result folder: " + String.join("; ", problems.subList(0, shown))
                    + (shown < problems.size() ? "; and " + (problems.size() - shown) + " more" : ""));
        }
        return m;
    }

    /** Whether {@code dir} holds an apex manifest (complete or not), as opposed to none or another tool's file. */
    public static boolean isResultFolder(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) return false;
        try {
            return FORMAT.equals(JsonFiles.read(file).get("format"));
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Reads {@code dir/manifest.json} without checking the files. */
    @SuppressWarnings("unchecked")
    public static Manifest read(Path dir) {
        if (!Files.isDirectory(dir)) throw new ResultFolderException(dir + " does not exist or is not a folder");
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw new ResultFolderException(dir + " is not a complete result folder: " + FILE + " is missing (it is written last, "
                    + "so the run that wrote this folder did not finish, was written by an older apex, or this is not a result folder)");
        }
        Map<String, Object> doc;
        try {
            doc = JsonFiles.read(file);
        } catch (IllegalArgumentException e) {
            throw new ResultFolderException(file + ": " + e.getMessage(), e);
        }
        String where = file + ": ";
        if (!FORMAT.equals(doc.get("format"))) {
            throw new ResultFolderException(where + "format is " + doc.get("format") + ", expected " + FORMAT);
        }
        if (!COMPLETE.equals(doc.get("status"))) {
            throw new ResultFolderException(where + "status is " + doc.get("status") + ", expected " + COMPLETE);
        }
        if (!(doc.get("kind") instanceof String kind)) throw new ResultFolderException(where + "field 'kind' must be a string");
        if (!(doc.get("files") instanceof Map<?, ?> fs)) throw new ResultFolderException(where + "field 'files' must be an object");
        if (!(doc.get("engines") instanceof List<?> es)) throw new ResultFolderException(where + "field 'engines' must be a list");
        List<String> args = new ArrayList<>();
        if (doc.get("arguments") instanceof List<?> as) as.forEach(a -> args.add(String.valueOf(a)));
        Map<String, FileEntry> files = new TreeMap<>();
        for (var e : fs.entrySet()) {
            String rel = String.valueOf(e.getKey());
            if (!(e.getValue() instanceof Map<?, ?> f) || !(f.get("bytes") instanceof Number n) || !(f.get("sha256") instanceof String h)
                    || !safeRelative(rel)) {
                throw new ResultFolderException(where + "entry '" + rel + "' of 'files' must be {bytes, sha256} under the folder");
            }
            files.put(rel, new FileEntry(n.longValue(), h));
        }
        List<Engine> engines = new ArrayList<>();
        for (Object o : es) {
            if (!(o instanceof Map<?, ?> e) || !(e.get("label") instanceof String label) || !(e.get("folder") instanceof String folder)
                    || !safeRelative(folder)) {
                throw new ResultFolderException(where + "each of 'engines' must be {label, folder, run_spec} with a folder under the folder");
            }
            Map<String, Object> spec = e.get("run_spec") instanceof Map<?, ?> s ? (Map<String, Object>) s : Map.of();
            engines.add(new Engine(label, folder, spec));
        }
        return new Manifest(kind, args, engines, files);
    }

    private static boolean safeRelative(String rel) {
        if (rel.isEmpty()) return false;
        Path p = Path.of(rel);
        return !p.isAbsolute() && p.normalize().equals(p) && !p.startsWith("..") || rel.equals(".");
    }

    static FileEntry entry(Path file) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha256())) {
            long bytes = in.transferTo(java.io.OutputStream.nullOutputStream());
            return new FileEntry(bytes, HexFormat.of().formatHex(((DigestInputStream) in).getMessageDigest().digest()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    private static List<Path> listFiles(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    private static String relative(Path dir, Path file) {
        return dir.relativize(file).toString().replace(java.io.File.separatorChar, '/');
    }
}
