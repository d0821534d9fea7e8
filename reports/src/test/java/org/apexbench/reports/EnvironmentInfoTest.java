package org.apexbench.reports;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnvironmentInfoTest {
    @TempDir Path notARepository;

    /** A distribution has no repository beside it: its launcher passes the commit it was built from. */
    @Test
    void aRecordedCommitWinsOverTheFolderAroundTheRun() {
        String before = System.getProperty(EnvironmentInfo.COMMIT_PROPERTY);
        try {
            System.clearProperty(EnvironmentInfo.COMMIT_PROPERTY);
            assertEquals("unknown (not a git checkout)", EnvironmentInfo.capture(notARepository, Map.of()).get("git_commit"));
            System.setProperty(EnvironmentInfo.COMMIT_PROPERTY, "0123abcd");
            assertEquals("0123abcd", EnvironmentInfo.capture(notARepository, Map.of()).get("git_commit"));
        } finally {
            if (before == null) System.clearProperty(EnvironmentInfo.COMMIT_PROPERTY);
            else System.setProperty(EnvironmentInfo.COMMIT_PROPERTY, before);
        }
    }
}
