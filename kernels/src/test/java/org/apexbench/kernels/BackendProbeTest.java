package org.apexbench.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/**
 * The probe every GPU test and check skips on: only "cannot run here" ({@link BackendUnavailableException}) is a
 * reason to skip; a backend that is present but broken must fail the test that probes it.
 */
class BackendProbeTest {
    @Test
    void anUnavailableBackendGivesItsReason() {
        String reason = Backends.unavailableReason(() -> {
            throw new BackendUnavailableException("cuda backend unavailable: no CUDA driver");
        });
        assertEquals("cuda backend unavailable: no CUDA driver", reason);
    }

    @Test
    void anyOtherFailureWhileOpeningPropagatesInsteadOfBecomingASkip() {
        IllegalStateException fault = new IllegalStateException("CUDA_ERROR_ILLEGAL_ADDRESS in the first kernel");
        assertSame(fault, assertThrows(IllegalStateException.class, () -> Backends.unavailableReason(() -> { throw fault; })));
        UnsupportedOperationException unsupported = new UnsupportedOperationException("kv dtype");
        assertSame(unsupported, assertThrows(UnsupportedOperationException.class,
                () -> Backends.unavailableReason(() -> { throw unsupported; })));
    }

    @Test
    void aBackendThatOpensIsAvailableAndClosedAgain() {
        AtomicInteger closed = new AtomicInteger();
        Backend backend = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("close")) {
                        closed.incrementAndGet();
                        return null;
                    }
                    throw new AssertionError("the probe only opens and closes, but called " + method.getName());
                });
        assertNull(Backends.unavailableReason(() -> backend));
        assertEquals(1, closed.get(), "closed once");
    }

    @Test
    void theCpuBackendIsAvailableAndAnUnknownOneIsNot() {
        assertNull(Backends.unavailableReason("cpu"));
        assertEquals("unknown backend 'tpu': expected cpu or cuda", Backends.unavailableReason("tpu"));
    }
}
