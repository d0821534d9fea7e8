package org.apexbench.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResultFolderTest {
    @TempDir Path tmp;

    private static final List<Manifest.Engine> ONE = List.of(new Manifest.Engine("apex", ".", Map.of("seed", 1)));

    private List<String> names() throws Exception {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void nothingAppearsUntilCommitAndAnAbortLeavesNothing() throws Exception {
        Path out = tmp.resolve("out");
        try (ResultFolder f = ResultFolder.create(out, "--out", ResultFolder.Existing.REFUSE)) {
            Files.writeString(f.staging().resolve("summary.json"), "{}");
            assertFalse(Files.exists(out), "invisible while being written");
            assertTrue(f.staging().getFileName().toString().startsWith(".out.partial-"));
        }
        assertEquals(List.of(".out.lock"), names(), "an uncommitted folder is deleted");
        try (ResultFolder f = ResultFolder.create(out, "--out", ResultFolder.Existing.REFUSE)) {
            Files.createDirectories(f.staging().resolve("a"));
            Files.writeString(f.staging().resolve("a/requests.csv"), "x\n");
            Manifest m = f.commit("run", List.of("run"), ONE);
            assertEquals(Map.of("a/requests.csv", new Manifest.FileEntry(2,
                    "73cb3858a687a8494ca3323053016282f3dad39d42cf62ca4e79dda2aac7d9ac")), m.files());
        }
        assertEquals(List.of(".out.lock", "out"), names());
        assertEquals(m(out).files(), Manifest.verify(out).files());
    }

    private static Manifest m(Path dir) { return Manifest.read(dir); }

    @Test
    void replacingSwapsTheWholeFolder() throws Exception {
        Path out = tmp.resolve("out");
        try (ResultFolder f = ResultFolder.create(out, "--out", ResultFolder.Existing.REFUSE)) {
            Files.writeString(f.staging().resolve("tokens.jsonl"), "old\n");
            f.commit("run", List.of(), ONE);
        }
        var refused = assertThrows(ResultFolderException.class, () -> ResultFolder.create(out, "--out", ResultFolder.Existing.REFUSE));
        assertTrue(refused.getMessage().contains("is not empty (2 entries: manifest.json, tokens.jsonl)"), refused.getMessage());
        try (ResultFolder f = ResultFolder.create(out, "--out", ResultFolder.Existing.REPLACE)) {
            Files.writeString(f.staging().resolve("summary.json"), "{}\n");
            f.commit("run", List.of(), ONE);
        }
        assertEquals(List.of("summary.json"), List.copyOf(Manifest.verify(out).files().keySet()));
        assertFalse(Files.exists(out.resolve("tokens.jsonl")));
        assertEquals(List.of(".out.lock", "out"), names(), "the replaced folder is deleted");
    }

    @Test
    void leftoversOfAKilledWriterAreRemovedByTheNext() throws Exception {
        Files.createDirectories(tmp.resolve(".out.partial-1-dead/x"));
        Files.createDirectories(tmp.resolve(".out.replaced-dead"));
        try (ResultFolder f = ResultFolder.create(tmp.resolve("out"), "--out", ResultFolder.Existing.REFUSE)) {
            assertEquals(2, names().size(), "the lock and our own staging folder only: " + names());
        }
    }

    @Test
    void aManifestThatIsNotOneIsNamed() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("d"));
        Files.writeString(dir.resolve(Manifest.FILE), "{\"format\": \"apex-bench-result/1\", \"status\": \"writing\"}");
        var e = assertThrows(ResultFolderException.class, () -> Manifest.verify(dir));
        assertTrue(e.getMessage().contains("status is writing, expected complete"), e.getMessage());
        Files.writeString(dir.resolve(Manifest.FILE), "{\"format\": \"apex-bench-result/1\", \"status\": \"complete\", \"kind\": \"run\", "
                + "\"engines\": [], \"files\": {\"../../etc/passwd\": {\"bytes\": 1, \"sha256\": \"00\"}}}");
        e = assertThrows(ResultFolderException.class, () -> Manifest.verify(dir));
        assertTrue(e.getMessage().contains("entry '../../etc/passwd' of 'files' must be {bytes, sha256} under the folder"), e.getMessage());
        Files.writeString(dir.resolve(Manifest.FILE), "[1, 2");
        e = assertThrows(ResultFolderException.class, () -> Manifest.verify(dir));
        assertTrue(e.getMessage().contains(Manifest.FILE) && e.getMessage().contains("not a JSON object"), e.getMessage());
    }
}
