package org.apexbench.serving.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import org.apexbench.engine.runtime.EngineLoop;
import org.apexbench.profiler.RequestRecord;
import org.apexbench.workloads.RequestSpec;

/**
 * The {@code openai} engine: a running OpenAI-compatible server (vLLM, SGLang, {@code apex serve}, ...) benchmarked
 * with a workload, as vLLM's {@code bench serve} does it (docs/serving.md). Each request is sent at its arrival time
 * (open loop; {@code max_concurrency} caps those in flight, as vLLM's {@code --max-concurrency}) or by one of the
 * workload's closed-loop clients, to {@code /v1/completions} with the prompt as token ids, {@code max_tokens} = its
 * output length, {@code ignore_eos}, streaming with usage, and the workload's temperature, top_p and seed; each is
 * measured from its stream by {@link StreamedRequest}. One HTTP/1.1 client with keep-alive connections serves every
 * request, each on a virtual thread. Before the first request the server is asked for {@code /v1/models}: an address
 * where nothing listens, or that answers something that is not the API, fails the run with that said.
 */
public final class OpenAiEngine {
    public static final String ID = "openai";
    private static final ObjectMapper JSON = new ObjectMapper();

    private OpenAiEngine() {}

    /**
     * The engine's options ({@code openai[url=...,model=...]}).
     *
     * @param url               the server, {@code http://HOST:PORT} (a trailing {@code /v1} is accepted)
     * @param model             the model to ask for; null: the only one the server lists
     * @param maxConcurrency    most requests in flight at once (open loop), null: no cap
     * @param connectTimeoutSec to open a connection
     * @param idleTimeoutSec    longest wait for the next bytes of an answer before the request fails
     * @param timeoutSec        longest a request may take in all (vLLM's client allows 6 hours)
     */
    public record Options(URI url, String model, Integer maxConcurrency, double connectTimeoutSec, double idleTimeoutSec,
                          double timeoutSec) {
        public static final List<String> KEYS = List.of("url", "model", "max_concurrency", "connect_timeout_s", "idle_timeout_s",
                "timeout_s");

        /** Parses the bracket options, naming the option and what was expected on error. */
        public static Options parse(Map<String, String> m) {
            for (String k : m.keySet()) {
                if (!KEYS.contains(k)) throw new IllegalArgumentException("engine openai: unknown option '" + k + "'; known: " + KEYS);
            }
            String u = m.get("url");
            if (u == null || u.isBlank()) {
                throw new IllegalArgumentException("engine openai needs the server's address: openai[url=http://HOST:PORT]");
            }
            URI url;
            try {
                String t = u.strip().replaceAll("/+$", "");
                if (t.endsWith("/v1")) t = t.substring(0, t.length() - 3);
                url = new URI(t);
            } catch (java.net.URISyntaxException e) {
                throw new IllegalArgumentException("engine openai: url '" + u + "' is not a URL: " + e.getMessage());
            }
            if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme()) || url.getHost() == null) {
                throw new IllegalArgumentException("engine openai: url must be http://HOST:PORT or https://..., got '" + u + "'");
            }
            Integer cap = null;
            if (m.containsKey("max_concurrency")) {
                cap = (int) positive(m, "max_concurrency", 0);
                if (cap != Double.parseDouble(m.get("max_concurrency"))) {
                    throw new IllegalArgumentException("engine openai: max_concurrency must be a whole number, got " + m.get("max_concurrency"));
                }
            }
            return new Options(url, m.get("model"), cap, positive(m, "connect_timeout_s", 10), positive(m, "idle_timeout_s", 600),
                    positive(m, "timeout_s", 6 * 3600));
        }

        private static double positive(Map<String, String> m, String key, double def) {
            String v = m.get(key);
            if (v == null) return def;
            try {
                double d = Double.parseDouble(v.strip());
                if (d > 0 && Double.isFinite(d)) return d;
            } catch (NumberFormatException ignored) {
                // fall through to the error
            }
            throw new IllegalArgumentException("engine openai: " + key + " must be a number > 0, got '" + v + "'");
        }

        URI endpoint(String path) { return URI.create(url + path); }
    }

    /**
     * What a benchmark of the server measured.
     *
     * @param model    the model the requests asked for
     * @param requests one record per request, in the workload's order; times in seconds since the first send's origin
     * @param wallSec  wall time of the whole benchmark
     */
    public record Result(String model, List<RequestRecord> requests, double wallSec) {}

    /**
     * Benchmarks the server with {@code requests}; {@code closedLoopConcurrency} &gt; 0 runs them as that many
     * closed-loop clients instead of at their arrival times.
     *
     * @param progress told how many requests are done as each one ends (null: nobody)
     */
    public static Result run(Options o, List<RequestSpec> requests, int closedLoopConcurrency, EngineLoop.Progress progress) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis((long) (o.connectTimeoutSec() * 1000))).build();
        try (ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "openai-idle-watchdog");
            t.setDaemon(true);
            return t;
        })) {
            String model = probe(client, o);
            long origin = System.nanoTime();
            List<StreamedRequest> all = new ArrayList<>(requests.size());
            for (RequestSpec r : requests) all.add(new StreamedRequest(r, System::nanoTime, origin));
            AtomicInteger finished = new AtomicInteger();
            Runnable oneDone = () -> {
                int n = finished.incrementAndGet();
                if (progress != null) progress.update(n, all.size());
            };
            List<Thread> threads = new ArrayList<>();
            if (closedLoopConcurrency > 0) {
                AtomicInteger next = new AtomicInteger();
                for (int c = 0; c < Math.min(closedLoopConcurrency, all.size()); c++) {
                    threads.add(Thread.ofVirtual().name("openai-client-" + c).start(() -> {
                        for (int i; (i = next.getAndIncrement()) < all.size(); ) {
                            send(client, o, model, all.get(i), watchdog);
                            oneDone.run();
                        }
                    }));
                }
            } else {
                Semaphore cap = o.maxConcurrency() == null ? null : new Semaphore(o.maxConcurrency());
                List<StreamedRequest> byArrival = new ArrayList<>(all);
                byArrival.sort(Comparator.comparingDouble(r -> r.spec().arrivalSec()));
                for (StreamedRequest r : byArrival) {
                    long due = origin + (long) (r.spec().arrivalSec() * 1e9);
                    for (long wait; (wait = due - System.nanoTime()) > 0; ) LockSupport.parkNanos(wait);
                    threads.add(Thread.ofVirtual().name("openai-" + r.spec().id()).start(() -> {
                        if (cap != null) cap.acquireUninterruptibly();
                        try {
                            send(client, o, model, r, watchdog);
                        } finally {
                            if (cap != null) cap.release();
                        }
                        oneDone.run();
                    }));
                }
            }
            for (Thread t : threads) t.join();
            List<RequestRecord> records = new ArrayList<>(all.size());
            for (StreamedRequest r : all) records.add(r.record());
            return new Result(model, records, (System.nanoTime() - origin) / 1e9);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("engine openai: interrupted while benchmarking " + o.url());
        } finally {
            client.shutdownNow();   // close() would wait for exchanges we abandoned (a silent server's)
        }
    }

    /** Sends one request and reads its stream to the end (or a failure); never throws. */
    private static void send(HttpClient client, Options o, String model, StreamedRequest r, ScheduledExecutorService watchdog) {
        RequestSpec s = r.spec();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("model", model);
        body.put("prompt", s.promptTokens());
        body.put("repetition_penalty", 1.0);
        body.put("max_tokens", s.outputTokens());
        body.put("logprobs", null);
        body.put("stream", true);
        body.put("stream_options", Map.of("include_usage", true));
        body.put("ignore_eos", true);
        body.put("temperature", s.sampling().temperature());
        body.put("top_p", s.sampling().topP());
        body.put("seed", s.sampling().seed());
        HttpRequest.Builder req;
        try {
            req = request(o, "/v1/completions").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the request of " + s.id(), e);
        }
        long idleNanos = (long) (o.idleTimeoutSec() * 1e9);
        ScheduledFuture<?> idle = watchdog.scheduleWithFixedDelay(() -> {
            if (System.nanoTime() - r.lastActivityNanos() > idleNanos) {
                r.abort("no data from the server for " + fmt(o.idleTimeoutSec()) + " s (idle_timeout_s)");
            }
        }, 1, 1, TimeUnit.SECONDS);
        r.started();
        var sent = client.sendAsync(req.build(), info -> {
            r.response(info.statusCode(), info.headers().firstValue("Content-Type").orElse(null));
            return HttpResponse.BodySubscribers.fromSubscriber(r);
        });
        r.exchange(sent);
        sent.whenComplete((resp, e) -> {
            if (e != null) {
                r.fail(StreamedRequest.describe(e));
                r.done.complete(null);
            }
        });
        try {
            r.done.get((long) (o.timeoutSec() * 1000), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            r.abort("the request took longer than " + fmt(o.timeoutSec()) + " s (timeout_s)");
            sent.cancel(true);
        } catch (InterruptedException e) {
            r.abort("interrupted");
            sent.cancel(true);
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            r.fail(StreamedRequest.describe(e));
        } finally {
            idle.cancel(false);
        }
    }

    private static HttpRequest.Builder request(Options o, String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(o.endpoint(path));
        String key = System.getenv("OPENAI_API_KEY");
        if (key != null && !key.isBlank()) b.header("Authorization", "Bearer " + key);
        return b;
    }

    /**
     * Asks {@code /v1/models} and returns the model to benchmark: {@code model=} if the server lists it, else the one
     * model it lists. Anything else is an error saying what was found.
     */
    static String probe(HttpClient client, Options o) {
        URI u = o.endpoint("/v1/models");
        HttpResponse<String> r;
        try {
            r = client.send(request(o, "/v1/models").timeout(Duration.ofMillis((long) (o.connectTimeoutSec() * 1000)))
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new IllegalStateException("engine openai: cannot connect to " + o.url() + " (" + StreamedRequest.describe(e)
                    + "); is an OpenAI-compatible server running there?");
        } catch (HttpConnectTimeoutException e) {
            throw new IllegalStateException("engine openai: " + o.url() + " did not accept a connection within "
                    + fmt(o.connectTimeoutSec()) + " s (connect_timeout_s)");
        } catch (HttpTimeoutException e) {
            throw new IllegalStateException("engine openai: " + u + " did not answer within " + fmt(o.connectTimeoutSec())
                    + " s (connect_timeout_s)");
        } catch (IOException e) {
            throw new IllegalStateException("engine openai: cannot talk to " + o.url() + ": " + StreamedRequest.describe(e)
                    + "; is it an OpenAI-compatible HTTP server?");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("engine openai: interrupted while asking " + u);
        }
        String what = "HTTP " + r.statusCode() + " " + r.headers().firstValue("Content-Type").orElse("(no Content-Type)");
        if (r.statusCode() != 200) {
            throw new IllegalStateException("engine openai: " + u + " answered " + what + ": " + clip(r.body())
                    + "; not an OpenAI-compatible server, or not at this address");
        }
        TreeSet<String> models = new TreeSet<>();
        try {
            JsonNode data = JSON.readTree(r.body()).get("data");
            if (data == null || !data.isArray()) throw new IllegalStateException("no 'data' list");
            for (JsonNode m : data) {
                if (m.get("id") == null || !m.get("id").isTextual()) throw new IllegalStateException("a model without an 'id'");
                models.add(m.get("id").asText());
            }
        } catch (JsonProcessingException | IllegalStateException | NullPointerException e) {
            throw new IllegalStateException("engine openai: " + u + " answered " + what + " that is not the OpenAI API's model"
                    + " list (" + (e instanceof JsonProcessingException ? "not JSON" : e.getMessage()) + "): " + clip(r.body()));
        }
        if (o.model() != null) {
            if (!models.contains(o.model())) {
                throw new IllegalStateException("engine openai: " + o.url() + " serves " + models + ", not model=" + o.model());
            }
            return o.model();
        }
        if (models.size() != 1) {
            throw new IllegalStateException("engine openai: " + o.url() + " serves " + (models.isEmpty() ? "no model" : models)
                    + "; name the one to benchmark with openai[url=...,model=NAME]");
        }
        return models.first();
    }

    private static String fmt(double v) { return java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString(); }

    private static String clip(String s) {
        String one = s == null ? "" : s.replaceAll("\\s+", " ").strip();
        return one.length() > 200 ? one.substring(0, 200) + "..." : one.isEmpty() ? "(empty body)" : one;
    }
}
