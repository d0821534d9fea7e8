package org.apexbench.reports;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writing a whole text file (UTF-8) for the report writers, and the skeleton their self-contained HTML pages share. */
final class TextFiles {
    private TextFiles() {}

    static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * The start of a self-contained HTML page: {@code title} as its title and heading, the page's own {@code css}, and
     * {@code note} (null: none) as a first paragraph. {@link #writePage} ends and writes it.
     */
    static StringBuilder page(String title, String css, String note) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(HtmlReport.esc(title))
                .append("</title>\n<style>").append(css).append("</style></head>\n<body>\n<h1>").append(HtmlReport.esc(title))
                .append("</h1>\n");
        if (note != null) h.append("<p>").append(HtmlReport.esc(note)).append("</p>\n");
        return h;
    }

    /** Ends a page begun with {@link #page} and writes it to {@code file}. */
    static void writePage(Path file, StringBuilder page) {
        write(file, page.append("</body></html>\n").toString());
    }
}
