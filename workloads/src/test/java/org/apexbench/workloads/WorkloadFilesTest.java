package org.apexbench.workloads;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WorkloadFilesTest {
    private static final WorkloadContext CTX = new WorkloadContext(32000, 4096, null);

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"w.jsonl", "w.csv"})
    void writeThenReadGivesIdenticalRequests(String name) {
        List<RequestSpec> original = WorkloadSpec.parse("mixed:sharegpt=0.7,cot=0.3;count=50,rate=3,cv=2,seed=9,temperature=0.7,top_p=0.95")
                .generate(CTX).requests();
        Path f = dir.resolve(name);
        WorkloadFiles.write(f, original);
        assertEquals(original, WorkloadFiles.read(f, CTX, 0));
    }

    @Test
    void fileWorkloadSpecReadsAFile() {
        List<RequestSpec> original = WorkloadSpec.parse("sharegpt:count=20,rate=2,seed=4").generate(CTX).requests();
        Path f = dir.resolve("w.jsonl");
        WorkloadFiles.write(f, original);
        Workload w = WorkloadSpec.parse("file:" + f).generate(CTX);
        assertEquals(original, w.requests());
        assertEquals(0, w.closedLoopConcurrency());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WorkloadSpec.parse("file:" + f + ",rate=2"));
        assertTrue(e.getMessage().contains("option 'rate' does not apply to file"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> WorkloadSpec.parse("file:seed=3"));
        assertTrue(e.getMessage().contains("exactly one path"), e.getMessage());
    }

    @Test
    void promptLenRowsGetDeterministicSyntheticIds() throws Exception {
        Path f = dir.resolve("lens.jsonl");
        Files.writeString(f, """
                {"id":"a","arrival_s":0,"prompt_len":5,"output_len":3}
                {"id":"b","arrival_s":0.5,"prompt_len":7,"output_len":2,"temperature":1.0,"seed":44}
                """);
        List<RequestSpec> r1 = WorkloadFiles.read(f, CTX, 3);
        assertEquals(5, r1.get(0).promptLength());
        assertEquals(44, r1.get(1).sampling().seed());
        assertEquals(r1, WorkloadFiles.read(f, CTX, 3));
        Path c = dir.resolve("lens.csv");
        Files.writeString(c, "id,arrival_s,prompt_len,output_len\na,0,5,3\nb,0.5,7,2\n");
        List<RequestSpec> r2 = WorkloadFiles.read(c, CTX, 3);
        assertArrayEquals(r1.get(1).promptTokens(), r2.get(1).promptTokens());
    }

    private void assertBad(String fileName, String content, String... fragments) throws Exception {
        Path f = dir.resolve(fileName);
        Files.writeString(f, content);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WorkloadFiles.read(f, CTX, 0));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        for (String s : fragments) {
            assertTrue(e.getMessage().contains(s), fileName + ": " + e.getMessage());
        }
    }

    @Test
    void csvMissingColumns() throws Exception {
        assertBad("a.csv", "id,arrival_s,prompt_len\nr0,0,5\n", ":1:", "missing column(s) [output_len]");
        assertBad("b.csv", "id,arrival_s,output_len\nr0,0,5\n", ":1:", "prompt_ids or prompt_len");
        assertBad("c.csv", "id,arrival_s,prompt_len,output_len\nr0,0,5,3\nr1,0,5\n", ":3:", "has 3 fields");
        assertBad("d.csv", "id,arrival_s,prompt_len,output_len\nr0,,5,3\n", ":2:", "missing value in column 'arrival_s'");
    }

    @Test
    void jsonlMissingFields() throws Exception {
        assertBad("a.jsonl", "{\"id\":\"r0\",\"arrival_s\":0,\"prompt_len\":5,\"output_len\":3}\n{\"id\":\"r1\",\"prompt_len\":5,\"output_len\":3}\n",
                ":2:", "missing field 'arrival_s'");
        assertBad("b.jsonl", "{\"id\":\"r0\",\"arrival_s\":0,\"output_len\":3}\n", ":1:", "needs prompt_ids or prompt_len");
        assertBad("c.jsonl", "{\"id\":\"r0\",\"arrival_s\":0,\"prompt_len\":5}\n", ":1:", "missing field 'output_len'");
        assertBad("d.jsonl", "{\"id\":\"r0\",\n", ":1:", "not valid JSON");
        assertBad("e.jsonl", "[1,2]\n", ":1:", "one JSON object per line");
    }

    @Test
    void negativeAndNonNumericLengths() throws Exception {
        assertBad("a.jsonl", "{\"id\":\"r0\",\"arrival_s\":0,\"prompt_len\":5,\"output_len\":-2}\n", ":1:", "output_len must be >= 1, got -2");
        assertBad("b.jsonl", "{\"id\":\"r0\",\"arrival_s\":0,\"prompt_len\":-5,\"output_len\":2}\n", ":1:", "prompt_len must be >= 1");
        assertBad("c.jsonl", "{\"id\":\"r0\",\"arrival_s\":0,\"prompt_len\":\"five\",\"output_len\":2}\n", ":1:",
                "'prompt_len' must be an integer");
        assertBad("d.csv", "id,arrival_s,prompt_len,output_len\nr0,0,5,lots\n", ":2:", "column 'output_len' must be an integer, got 'lots'");
        assertBad("e.csv", "id,arrival_s,prompt_len,output_len\nr0,soon,5,3\n", ":2:", "column 'arrival_s' must be a number");
        assertBad("f.csv", "id,arrival_s,prompt_ids,output_len\nr0,0,1 x 3,3\n", ":2:", "prompt_ids[1] must be an integer");
        assertBad("g.jsonl", "{\"id\":\"r0\",\"arrival_s\":-1,\"prompt_len\":5,\"output_len\":2}\n", ":1:", "arrival_s must be a finite number >= 0");
    }

    @Test
    void unsortedTimestamps() throws Exception {
        assertBad("a.csv", "id,arrival_s,prompt_len,output_len\nr0,1.0,5,3\nr1,2.0,5,3\nr2,1.5,5,3\n", ":4:",
                "earlier than the previous line's 2.0");
    }

    @Test
    void lengthsBeyondTheContext() throws Exception {
        assertBad("a.jsonl", "{\"id\":\"r0\",\"arrival_s\":0,\"prompt_len\":4000,\"output_len\":200}\n", ":1:",
                "4200 tokens exceeds the model context of 4096");
    }

    @Test
    void idsOutsideTheVocabularyDuplicatesAndBadSampling() throws Exception {
        assertBad("a.jsonl", "{\"id\":\"r0\",\"arrival_s\":0,\"prompt_ids\":[1,32000],\"output_len\":2}\n", ":1:",
                "prompt_ids[1] = 32000 is outside the vocabulary [0, 32000)");
        assertBad("b.csv", "id,arrival_s,prompt_len,output_len\nr0,0,5,3\nr0,1,5,3\n", ":3:", "duplicate id 'r0'");
        assertBad("c.jsonl", "{\"id\":\"r0\",\"arrival_s\":0,\"prompt_len\":3,\"output_len\":2,\"top_p\":1.5}\n", ":1:", "top_p");
        assertBad("d.jsonl", "{\"id\":\"r0\",\"arrival_s\":0,\"prompt_ids\":[1,2],\"prompt_len\":3,\"output_len\":2}\n", ":1:",
                "disagrees");
        assertBad("e.csv", "id,arrival_s,prompt_len,output_len\n", "no requests");
    }
}
