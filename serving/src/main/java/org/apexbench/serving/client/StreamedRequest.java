package org.apexbench.serving.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.function.LongSupplier;

import org.apexbench.profiler.RequestRecord;
import org.apexbench.workloads.RequestSpec;

/**
 * One streamed completion as vLLM's benchmark client measures it ({@code async_request_openai_completions} in
 * vLLM's {@code benchmarks/lib/endpoint_request_func.py}): the start is taken just before the request is sent;
 * each server-sent event whose {@code choices} is not empty is a content chunk, timestamped when it is complete
 * (the first gives TTFT, each later one an inter-token gap, the last the end-to-end latency); the usage chunk
 * ({@code stream_options.include_usage}) gives the output and prompt token counts; SSE comments are skipped. It is
 * also the response body's subscriber: bytes arrive here from the HTTP client as they come off the socket.
 *
 * <p>Our record has a time per token. Each chunk's tokens get the chunk's time (how many: its {@code token_ids} where
 * the server sends them, else one per chunk, and tokens the usage counts beyond the chunks go with the last one), so
 * TTFT, TPOT and E2EL are exactly vLLM's, and ITL, taken between distinct times (docs/metrics.md), is vLLM's gap
 * between chunks. A request fails (its reason kept) on an HTTP error, a broken or silent connection, an answer that
 * is not the protocol, or a stream without content; it is cut short when it brings fewer tokens than asked.
 */
final class StreamedRequest implements Flow.Subscriber<List<ByteBuffer>> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ERROR_BODY_LIMIT = 4096;

    private final RequestSpec spec;
    private final LongSupplier clock;
    private final double originNanos;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    private volatile Flow.Subscription subscription;
    private volatile CompletableFuture<?> exchange;
    private volatile long lastActivityNanos;
    private long startNanos;
    private int status;
    private String contentType;
    private boolean eventStream;
    private final java.io.ByteArrayOutputStream errorBody = new java.io.ByteArrayOutputStream();
    private final java.io.ByteArrayOutputStream lineBytes = new java.io.ByteArrayOutputStream();
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private final List<Long> chunkNanos = new ArrayList<>();
    private final List<Integer> chunkTokens = new ArrayList<>();   // -1: the chunk does not say
    private Integer usageCompletion;
    private Integer usagePrompt;
    private String finishReason;
    private volatile String failure;

    /** @param clock System.nanoTime or a test's; times are seconds after {@code originNanos} */
    StreamedRequest(RequestSpec spec, LongSupplier clock, long originNanos) {
        this.spec = spec;
        this.clock = clock;
        this.originNanos = originNanos;
    }

    RequestSpec spec() { return spec; }

    /** Right before the request is sent: the request's start (vLLM's {@code st}). */
    void started() {
        startNanos = clock.getAsLong();
        lastActivityNanos = startNanos;
    }

    long lastActivityNanos() { return lastActivityNanos; }

    /** The response line and headers came: what the body will be read as. */
    void response(int status, String contentType) {
        this.status = status;
        this.contentType = contentType;
        this.eventStream = status == 200 && contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).startsWith("text/event-stream");
        lastActivityNanos = clock.getAsLong();
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
        lastActivityNanos = clock.getAsLong();
        for (ByteBuffer b : buffers) {
            while (b.hasRemaining()) {
                byte x = b.get();
                if (!eventStream) {
                    if (errorBody.size() < ERROR_BODY_LIMIT) errorBody.write(x);
                    continue;
                }
                if (x == '\n') {
                    String l = lineBytes.toString(StandardCharsets.UTF_8);
                    lineBytes.reset();
                    line(l.endsWith("\r") ? l.substring(0, l.length() - 1) : l);
                    if (failure != null) {
                        abort(failure);
                        return;
                    }
                } else {
                    lineBytes.write(x);
                }
            }
        }
    }

    @Override
    public void onError(Throwable t) {
        fail(describe(t));
        done.complete(null);
    }

    @Override
    public void onComplete() {
        if (eventStream && lineBytes.size() > 0) line(lineBytes.toString(StandardCharsets.UTF_8));
        if (eventStream) line("");   // a last event without its blank line
        done.complete(null);
    }

    /** The HTTP client's exchange of this request, cancelled by {@link #abort}. */
    void exchange(CompletableFuture<?> f) { exchange = f; }

    /** Stops reading (timeout, protocol error): the connection is dropped and the request fails with {@code why}. */
    void abort(String why) {
        fail(why);
        Flow.Subscription s = subscription;
        if (s != null) s.cancel();
        CompletableFuture<?> x = exchange;
        if (x != null) x.cancel(true);
        done.complete(null);
    }

    /** The request failed before or without a body (connection refused, reset, timeout). */
    void fail(String why) {
        synchronized (this) {
            if (failure == null) failure = why;
        }
    }

    /** One line of the event stream: fields accumulate, a blank line dispatches the event. */
    private void line(String l) {
        if (l.isEmpty()) {
            if (hasData) event(data.toString(), clock.getAsLong());
            data.setLength(0);
            hasData = false;
            return;
        }
        if (l.startsWith(":")) return;   // a comment (keep-alive ping)
        if (l.startsWith("data:")) {
            String v = l.substring(5);
            if (v.startsWith(" ")) v = v.substring(1);
            if (hasData) data.append('\n');
            data.append(v);
            hasData = true;
        }
        // other fields (event:, id:, retry:) carry nothing the completions protocol uses
    }

    private void event(String payload, long nanos) {
        if (payload.equals("[DONE]") || failure != null) return;
        JsonNode d;
        try {
            d = JSON.readTree(payload);
        } catch (JsonProcessingException e) {
            failure = "not the OpenAI protocol: an event's data is not JSON: " + clip(payload);
            return;
        }
        if (d == null || !d.isObject()) {
            failure = "not the OpenAI protocol: an event's data is not a JSON object: " + clip(payload);
            return;
        }
        JsonNode error = d.get("error");
        if (error != null && !error.isNull()) {
            failure = "the server reported an error in the stream: " + message(error);
            return;
        }
        JsonNode choices = d.get("choices");
        if (choices != null && choices.isArray() && !choices.isEmpty()) {
            JsonNode c = choices.get(0);
            chunkNanos.add(nanos);
            JsonNode ids = c.get("token_ids");
            chunkTokens.add(ids != null && ids.isArray() ? ids.size() : -1);
            JsonNode fr = c.get("finish_reason");
            if (fr != null && fr.isTextual()) finishReason = fr.asText();
        } else if (d.get("usage") != null && d.get("usage").isObject()) {
            JsonNode u = d.get("usage");
            if (u.get("completion_tokens") != null && u.get("completion_tokens").canConvertToInt()) {
                usageCompletion = u.get("completion_tokens").asInt();
            }
            if (u.get("prompt_tokens") != null && u.get("prompt_tokens").canConvertToInt()) usagePrompt = u.get("prompt_tokens").asInt();
        }
    }

    /** The request's record; times are seconds since the run's origin. */
    RequestRecord record() {
        double start = (startNanos - originNanos) / 1e9;
        int prompt = usagePrompt != null ? usagePrompt : spec.promptLength();
        String why = failure;
        if (why == null && status != 200) why = "HTTP " + status + ": " + errorMessage();
        if (why == null && !eventStream) {
            why = "not the OpenAI protocol: HTTP 200 with Content-Type " + contentType + " instead of an event stream: "
                    + clip(errorBody.toString(StandardCharsets.UTF_8));
        }
        if (why == null && chunkNanos.isEmpty()) why = "the stream ended without any content chunk (no first token)";
        double[] times = why != null && chunkNanos.isEmpty() ? new double[0] : tokenTimes();
        if (why == null && times.length != spec.outputTokens()) {
            why = "cut short: " + times.length + " of " + spec.outputTokens() + " tokens (finish_reason "
                    + (finishReason == null ? "none" : finishReason) + ")";
        }
        return new RequestRecord(spec.id(), start, prompt, spec.outputTokens(), times, 0, 0, why);
    }

    /** A time per output token from the chunk times (see the class comment). */
    private double[] tokenTimes() {
        int chunks = chunkNanos.size();
        boolean known = chunkTokens.stream().allMatch(k -> k >= 1);
        int sumKnown = known ? chunkTokens.stream().mapToInt(Integer::intValue).sum() : -1;
        int n = usageCompletion != null ? usageCompletion : known ? sumKnown : chunks;
        if (n <= 0 || chunks == 0) return new double[0];
        double[] t = new double[n];
        if (known && sumKnown == n) {
            int k = 0;
            for (int c = 0; c < chunks; c++) {
                for (int j = 0; j < chunkTokens.get(c); j++) t[k++] = seconds(chunkNanos.get(c));
            }
        } else if (n >= chunks) {
            for (int i = 0; i < n; i++) t[i] = seconds(chunkNanos.get(Math.min(i, chunks - 1)));
        } else {
            for (int i = 0; i < n - 1; i++) t[i] = seconds(chunkNanos.get(i));
            t[n - 1] = seconds(chunkNanos.get(chunks - 1));
        }
        return t;
    }

    private double seconds(long nanos) { return (nanos - originNanos) / 1e9; }

    private String errorMessage() {
        String body = errorBody.toString(StandardCharsets.UTF_8);
        try {
            JsonNode e = JSON.readTree(body);
            if (e != null && e.get("error") != null) return message(e.get("error"));
            if (e != null && e.get("message") != null) return e.get("message").asText();
        } catch (JsonProcessingException ignored) {
            // not JSON: show the body
        }
        return clip(body);
    }

    private static String message(JsonNode error) {
        if (error.isTextual()) return error.asText();
        JsonNode m = error.get("message");
        return m != null ? m.asText() : error.toString();
    }

    static String describe(Throwable t) {
        Throwable c = t;
        while ((c instanceof java.util.concurrent.CompletionException || c instanceof java.util.concurrent.ExecutionException)
                && c.getCause() != null) {
            c = c.getCause();
        }
        String m = c.getMessage();
        return c.getClass().getSimpleName() + (m != null && !m.isBlank() ? ": " + m : "");
    }

    private static String clip(String s) {
        String one = s.replaceAll("\\s+", " ").strip();
        return one.length() > 200 ? one.substring(0, 200) + "..." : one;
    }
}
