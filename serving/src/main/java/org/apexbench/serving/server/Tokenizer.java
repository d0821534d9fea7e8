package org.apexbench.serving.server;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A model folder's Hugging Face {@code tokenizer.json}, through DJL's binding of the Rust tokenizers library (its
 * natives ship inside the jar, so it works offline). Text prompts are encoded with the tokenizer's own special
 * tokens (a BOS where its post-processor adds one), as vLLM does by default; output is decoded without special
 * tokens.
 */
final class Tokenizer implements AutoCloseable {
    static final String FILE = "tokenizer.json";

    private final HuggingFaceTokenizer tokenizer;
    private final Path file;

    private Tokenizer(HuggingFaceTokenizer tokenizer, Path file) {
        this.tokenizer = tokenizer;
        this.file = file;
    }

    /** The tokenizer of {@code modelDir}, or null when it has no tokenizer.json (or is a preset, {@code modelDir} null). */
    static Tokenizer load(Path modelDir) {
        if (modelDir == null) return null;
        Path f = modelDir.resolve(FILE);
        if (!Files.isRegularFile(f)) return null;
        try {
            return new Tokenizer(HuggingFaceTokenizer.newInstance(f, Map.of("addSpecialTokens", "true")), f);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(f + ": not a Hugging Face tokenizer: " + e.getMessage(), e);
        }
    }

    Path file() { return file; }

    int[] encode(String text) {
        Encoding e = tokenizer.encode(text);
        long[] ids = e.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) out[i] = Math.toIntExact(ids[i]);
        return out;
    }

    /** The text of {@code ids[0, count)}. */
    String decode(int[] ids, int count) {
        long[] l = new long[count];
        for (int i = 0; i < count; i++) l[i] = ids[i];
        return tokenizer.decode(l, true);
    }

    @Override
    public void close() { tokenizer.close(); }
}
