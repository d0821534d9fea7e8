package org.apexbench.serving.server;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apexbench.engine.runtime.OnlineRequests;

/**
 * One request's tokens as the engine loop produces them, handed from the loop's thread to the thread that writes
 * the HTTP answer: the loop's callbacks only enqueue. Each token carries its finish reason when it is the last one:
 * {@code length} at {@code max_tokens}, {@code stop} at the end-of-sequence token unless EOS is ignored (the loop
 * then drops the request at its next turn, freeing its KV).
 */
final class TokenStream implements OnlineRequests.Listener {
    /** What the writer takes from the stream. */
    sealed interface Event permits Token, Finished, Ended {}

    /** Output token {@code index}; {@code finishReason} non-null on the last one. */
    record Token(int index, int id, String finishReason) implements Event {}

    /** Every token was delivered. */
    record Finished() implements Event {}

    /** The request ended without its last token: {@code reason} says why (cancelled, shutdown, engine failure). */
    record Ended(String reason) implements Event {}

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final int maxTokens;
    private final int eosTokenId;   // -1: none or ignored
    private final ServerMetrics metrics;
    private volatile Runnable onEnd = () -> { };

    /** @param eosTokenId the end-of-sequence token that stops the request, -1 for none (or ignore_eos) */
    TokenStream(int maxTokens, int eosTokenId, ServerMetrics metrics) {
        this.maxTokens = maxTokens;
        this.eosTokenId = eosTokenId;
        this.metrics = metrics;
    }

    void onEnd(Runnable r) { onEnd = r; }

    @Override
    public boolean token(int index, int tokenId, double timeSec) {
        String finish = index == maxTokens - 1 ? "length" : tokenId == eosTokenId ? "stop" : null;
        events.add(new Token(index, tokenId, finish));
        metrics.generated();
        if (finish != null) {
            metrics.finished(finish);
            events.add(new Finished());
            if (index < maxTokens - 1) onEnd.run();
        }
        return finish == null;
    }

    @Override
    public void finished(double timeSec) {
        onEnd.run();
    }

    @Override
    public void cancelled() {
        events.add(new Ended("the request was cancelled"));
        metrics.cancelled();
        onEnd.run();
    }

    /** The engine can no longer serve this request. */
    void fail(String reason) {
        events.add(new Ended(reason));
        onEnd.run();
    }

    /** The next event, waiting at most {@code timeoutMs}; null on timeout. */
    Event next(long timeoutMs) throws InterruptedException {
        return events.poll(timeoutMs, TimeUnit.MILLISECONDS);
    }
}
