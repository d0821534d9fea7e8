package org.apexbench.serving.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;

import org.apexbench.engine.InfeasibleRequestException;
import org.apexbench.engine.runtime.OnlineRequests;
import org.apexbench.serving.api.ApiError;
import org.apexbench.serving.api.CompletionRequest;
import org.apexbench.workloads.RequestSpec;
import org.apexbench.workloads.SamplingParams;

/**
 * {@code apex serve}: a {@link ServingEngine} behind the OpenAI-compatible HTTP API (docs/serving.md#api), on the
 * JDK's HTTP server with one virtual thread per exchange. {@code POST /v1/completions} (streamed as server-sent
 * events or not), {@code GET /v1/models}, {@code GET /metrics} (Prometheus text), {@code GET /health}. Every
 * request goes through the one engine loop, so requests from all connections are batched together. A bad request
 * gets an OpenAI-style JSON error with its status; a client that goes away mid-stream has its request cancelled and
 * its KV freed; nothing a client sends stops the server.
 */
public final class ApexServer implements AutoCloseable {
    static {
        // One SSE chunk per token is a small write: with Nagle's algorithm on, the kernel holds it back until the
        // client's delayed ACK (tens of ms), which the clients would measure as inter-token latency
        // (docs/decisions.md#serving). The JDK's server reads this once, when its first server is made.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    /** Largest request body accepted (a prompt of about a million token ids). */
    static final int MAX_BODY_BYTES = 16 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param host            address to listen on (127.0.0.1: this machine only)
     * @param port            port, 0 for any free one
     * @param servedModelName the model name clients must ask for
     * @param modelDir        the checkpoint folder (its tokenizer.json enables text prompts), null for a preset
     * @param eosTokenId      the end-of-sequence token id, -1 when the model names none
     */
    public record Config(String host, int port, String servedModelName, Path modelDir, int eosTokenId) {}

    private final ServingEngine engine;
    private final Config config;
    private final Tokenizer tokenizer;
    private final ServerMetrics metrics;
    private final HttpServer http;
    private final ExecutorService exchanges = Executors.newVirtualThreadPerTaskExecutor();
    private final PrintStream log;
    private final long created = System.currentTimeMillis() / 1000;

    private ApexServer(ServingEngine engine, Config config, Tokenizer tokenizer, PrintStream log) throws IOException {
        this.engine = engine;
        this.config = config;
        this.tokenizer = tokenizer;
        this.log = log;
        this.metrics = new ServerMetrics(config.servedModelName());
        this.http = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 128);
        http.setExecutor(exchanges);
        http.createContext("/", this::handle);
    }

    /**
     * Starts the engine (model load, profile sweep) and then the HTTP server; returns once both serve.
     *
     * @param log where the server says what it does (start-up, shutdown, internal errors); null: nowhere
     */
    public static ApexServer start(ServingEngine.Setup setup, Config config, PrintStream log) {
        Tokenizer tokenizer = Tokenizer.load(config.modelDir());
        ServerMetrics[] sink = new ServerMetrics[1];
        ServingEngine engine = ServingEngine.start(setup, it -> {
            ServerMetrics m = sink[0];
            if (m != null) m.iteration(it);
        });
        try {
            ApexServer s = new ApexServer(engine, config, tokenizer, log);
            sink[0] = s.metrics;
            s.http.start();
            return s;
        } catch (IOException | RuntimeException e) {
            engine.close();
            if (tokenizer != null) tokenizer.close();
            throw new IllegalStateException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage(), e);
        }
    }

    /** The port it listens on (the one chosen when 0 was asked for). */
    public int port() { return http.getAddress().getPort(); }

    /** {@code http://HOST:PORT}. */
    public URI url() { return URI.create("http://" + config.host() + ":" + port()); }

    public boolean textPrompts() { return tokenizer != null; }

    public ServingEngine engine() { return engine; }

    /**
     * Graceful shutdown: stops accepting connections, lets requests in flight finish for up to {@code graceSec},
     * then cancels the rest, stops the engine loop and frees the model.
     */
    public void stop(double graceSec) {
        engine.requests().close();
        http.stop((int) Math.ceil(Math.max(0, graceSec)));
        engine.close(30);
        exchanges.shutdownNow();
        if (tokenizer != null) tokenizer.close();
    }

    @Override
    public void close() { stop(0); }

    private void handle(HttpExchange ex) {
        try {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            switch (path) {
                case "/v1/completions" -> {
                    requireMethod(method, "POST");
                    completions(ex);
                }
                case "/v1/models" -> {
                    requireMethod(method, "GET");
                    sendJson(ex, 200, models());
                }
                case "/metrics" -> {
                    requireMethod(method, "GET");
                    send(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                            metrics.render(engine.requests().state(), engine.failure() == null && !engine.stopped()));
                }
                case "/health" -> {
                    requireMethod(method, "GET");
                    if (engine.failure() != null) throw new ApiError(503, "server_error", "the engine failed: "
                            + engine.failure().getMessage(), null, null);
                    send(ex, 200, "text/plain; charset=utf-8", "");
                }
                default -> throw new ApiError(404, "invalid_request_error", "no such endpoint: " + method + " " + path
                        + " (this server has POST /v1/completions, GET /v1/models, GET /metrics, GET /health)", null, null);
            }
        } catch (ApiError e) {
            error(ex, e);
        } catch (IOException e) {
            // the client went away while we answered: nothing to tell anyone
        } catch (RuntimeException e) {
            if (log != null) {
                log.println("apex serve: internal error on " + ex.getRequestMethod() + " " + ex.getRequestURI() + ":");
                e.printStackTrace(log);
            }
            error(ex, new ApiError(500, "server_error", "internal server error: " + e, null, null));
        } finally {
            ex.close();
        }
    }

    private static void requireMethod(String method, String expected) {
        if (!method.equals(expected)) {
            throw new ApiError(405, "invalid_request_error", "method " + method + " is not allowed here; use " + expected, null, null);
        }
    }

    private Map<String, Object> models() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", config.servedModelName());
        m.put("object", "model");
        m.put("created", created);
        m.put("owned_by", "apex-bench");
        m.put("root", config.servedModelName());
        m.put("max_model_len", engine.geometry().maxContext());
        return Map.of("object", "list", "data", List.of(m));
    }

    private void completions(HttpExchange ex) throws IOException {
        JsonNode body = readJson(ex);
        CompletionRequest req = CompletionRequest.parse(body);
        if (req.model() != null && !req.model().equals(config.servedModelName())) {
            throw ApiError.modelNotFound(req.model(), config.servedModelName());
        }
        int[] prompt = prompt(req);
        int context = engine.geometry().maxContext();
        int maxTokens = req.maxTokens() != null ? req.maxTokens() : context - prompt.length;
        if (prompt.length + (long) maxTokens > context) {
            throw ApiError.badRequest("This model's maximum context length is " + context + " tokens; the request asks for "
                    + (prompt.length + (long) maxTokens) + " (" + prompt.length + " in the prompt, " + maxTokens
                    + " to generate). Shorten the prompt or lower max_tokens.", req.maxTokens() == null ? "prompt" : "max_tokens");
        }
        String id = "cmpl-" + UUID.randomUUID().toString().replace("-", "");
        long seed = req.seed() != null ? req.seed() : ThreadLocalRandom.current().nextLong();
        RequestSpec spec = new RequestSpec(id, engine.now(), prompt, maxTokens,
                new SamplingParams(req.temperature(), req.topP(), seed));
        try {
            engine.checkFeasible(spec);
        } catch (InfeasibleRequestException e) {
            throw ApiError.badRequest(e.getMessage(), "prompt");
        }
        TokenStream stream = new TokenStream(maxTokens, req.ignoreEos() ? -1 : config.eosTokenId(), metrics);
        OnlineRequests.Ticket ticket;
        try {
            ticket = engine.submit(spec, stream);
        } catch (IllegalStateException e) {
            throw new ApiError(503, "server_error", e.getMessage(), null, null);
        }
        metrics.admitted(prompt.length);
        Completion c = new Completion(id, System.currentTimeMillis() / 1000, config.servedModelName(), prompt.length,
                tokenizer);
        try {
            if (req.stream()) {
                stream(ex, stream, c, req.includeUsage());
            } else {
                whole(ex, stream, c);
            }
        } finally {
            ticket.cancel();   // a no-op for a request that ended; frees the KV of one whose client went away
        }
    }

    private int[] prompt(CompletionRequest req) {
        int[] ids = req.promptIds();
        if (ids == null) {
            if (tokenizer == null) {
                throw ApiError.badRequest("text prompts need a tokenizer, and model " + config.servedModelName()
                        + " has no tokenizer.json; send the prompt as a list of token ids", "prompt");
            }
            ids = tokenizer.encode(req.promptText());
            if (ids.length == 0) throw ApiError.badRequest("the prompt encodes to no tokens", "prompt");
        }
        int vocab = engine.vocabSize();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] >= vocab) {
                throw ApiError.badRequest("prompt token " + i + " = " + ids[i] + " is outside the model's vocabulary (0.."
                        + (vocab - 1) + ")", "prompt");
            }
        }
        return ids;
    }

    /** Server-sent events: one chunk per token (its finish reason on the last), the usage chunk if asked, [DONE]. */
    private void stream(HttpExchange ex, TokenStream stream, Completion c, boolean includeUsage) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        while (true) {
            TokenStream.Event e = next(stream);
            switch (e) {
                case TokenStream.Token t -> event(out, c.chunk(t, includeUsage));
                case TokenStream.Finished f -> {
                    if (includeUsage) event(out, c.usageChunk());
                    out.write("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    return;
                }
                case TokenStream.Ended end -> {
                    event(out, new ApiError(503, "server_error", end.reason(), null, null).body());
                    out.write("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    return;
                }
            }
        }
    }

    private void whole(HttpExchange ex, TokenStream stream, Completion c) throws IOException {
        while (true) {
            TokenStream.Event e = next(stream);
            switch (e) {
                case TokenStream.Token t -> c.add(t);
                case TokenStream.Finished f -> {
                    sendJson(ex, 200, c.response());
                    return;
                }
                case TokenStream.Ended end -> throw new ApiError(503, "server_error", end.reason(), null, null);
            }
        }
    }

    private TokenStream.Event next(TokenStream stream) {
        try {
            TokenStream.Event e;
            while ((e = stream.next(1000)) == null) {
                if (engine.failure() != null) return new TokenStream.Ended("the engine failed: " + engine.failure().getMessage());
            }
            return e;
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return new TokenStream.Ended("the server is shutting down");
        }
    }

    private static void event(OutputStream out, Object payload) throws IOException {
        out.write(("data: " + JSON.writeValueAsString(payload) + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static JsonNode readJson(HttpExchange ex) throws IOException {
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (bytes.length > MAX_BODY_BYTES) {
            throw new ApiError(413, "invalid_request_error", "the request body is larger than " + MAX_BODY_BYTES + " bytes", null, null);
        }
        if (bytes.length == 0) throw ApiError.badRequest("the request body is empty; expected a JSON object", null);
        try {
            return JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("the request body is not valid JSON: " + e.getOriginalMessage(), null);
        }
    }

    private void error(HttpExchange ex, ApiError e) {
        metrics.httpError(e.status());
        try {
            sendJson(ex, e.status(), e.body());
        } catch (IOException | RuntimeException ignored) {
            // headers already sent (a stream that broke) or the client is gone
        }
    }

    private static void sendJson(HttpExchange ex, int status, Object body) throws IOException {
        send(ex, status, "application/json", JSON.writeValueAsString(body));
    }

    private static void send(HttpExchange ex, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
