package org.apexbench.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * A CPU-only JVM never loads a JCuda class (docs/architecture.md#modules). Checked in a fresh child-first class
 * loader over the kernels classes and the JCuda jar: after Backends.open("cpu"), the loader must not
 * have loaded any jcuda class; the control (Backends.open("cuda")) shows the probe does see them.
 */
class CpuPathLoadsNoJCudaTest {
    static final class Probe extends URLClassLoader {
        Probe(URL[] urls) { super(urls, ClassLoader.getSystemClassLoader()); }

        @Override protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith("org.apexbench.") && !name.startsWith("jcuda.")) return super.loadClass(name, resolve);
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) c = findClass(name);
                if (resolve) resolveClass(c);
                return c;
            }
        }

        boolean loaded(String name) { return findLoadedClass(name) != null; }
    }

    private static Probe probe() throws Exception {
        URL kernels = codeSource("org/apexbench/kernels/Backends.class", "org/apexbench/kernels/Backends.class");
        URL jcuda = codeSource("jcuda/driver/JCudaDriver.class", "jcuda/driver/JCudaDriver.class");
        return new Probe(new URL[] {kernels, jcuda});
    }

    /** The class-path root (directory or jar) holding {@code resource}. */
    private static URL codeSource(String resource, String suffix) throws Exception {
        URL u = ClassLoader.getSystemResource(resource);
        assertNotNull(u, resource);
        String s = u.toString();
        if (s.startsWith("jar:")) return URI.create(s.substring(4, s.indexOf("!/"))).toURL();
        return Path.of(URI.create(s.substring(0, s.length() - suffix.length()))).toUri().toURL();
    }

    private static void open(Probe p, String backend) throws Exception {
        Class<?> backends = Class.forName("org.apexbench.kernels.Backends", true, p);
        try {
            Object b = backends.getMethod("open", String.class, int.class).invoke(null, backend, 1);
            ((AutoCloseable) b).close();
        } catch (java.lang.reflect.InvocationTargetException e) {
            // unavailable backends throw; what matters here is which classes got loaded on the way
        }
    }

    @Test
    void cpuBackendNeverLoadsJCuda() throws Exception {
        try (Probe p = probe()) {
            open(p, "cpu");
            assertNull(p.loaded("jcuda.driver.JCudaDriver") ? "jcuda.driver.JCudaDriver" : null, "cpu path loaded JCudaDriver");
            assertNull(p.loaded("jcuda.Pointer") ? "jcuda.Pointer" : null, "cpu path loaded jcuda.Pointer");
            assertNull(p.loaded("org.apexbench.kernels.cuda.CudaBackend") ? "CudaBackend" : null, "cpu path loaded CudaBackend");
        }
    }

    /** The hybrid runtime's cpu path: a host bridge over two cpu backends, a host pool and a row exchange. */
    @Test
    void cpuHostBridgeNeverLoadsJCuda() throws Exception {
        try (Probe p = probe()) {
            Class<?> backends = Class.forName("org.apexbench.kernels.Backends", true, p);
            Class<?> backendType = Class.forName("org.apexbench.kernels.Backend", true, p);
            Class<?> geometryType = Class.forName("org.apexbench.kernels.KvGeometry", true, p);
            Class<?> dtype = Class.forName("org.apexbench.kernels.DType", true, p);
            Object device = backends.getMethod("open", String.class, int.class).invoke(null, "cpu", 1);
            Object host = backends.getMethod("open", String.class, int.class).invoke(null, "cpu", 1);
            Class<?> bridgeType = Class.forName("org.apexbench.kernels.HostBridge", true, p);
            Object bridge = bridgeType.getMethod("open", backendType, backendType).invoke(null, device, host);
            Object geometry = geometryType.getConstructors()[0].newInstance(1, 1, 1, 4, dtype.getField("F16").get(null));
            bridgeType.getMethod("allocateHostPool", geometryType).invoke(bridge, geometry);
            bridgeType.getMethod("rowExchange", int.class, int.class, int.class).invoke(bridge, 2, 4, 4);
            ((AutoCloseable) bridge).close();
            ((AutoCloseable) host).close();
            ((AutoCloseable) device).close();
            assertNull(p.loaded("jcuda.driver.JCudaDriver") ? "jcuda.driver.JCudaDriver" : null, "cpu bridge loaded JCudaDriver");
            assertNull(p.loaded("org.apexbench.kernels.cuda.CudaHostBridge") ? "CudaHostBridge" : null, "cpu bridge loaded CudaHostBridge");
            assertNotNull(p.loaded("org.apexbench.kernels.cpu.CpuHostBridge") ? "yes" : null, "control: the probe saw the cpu bridge");
        }
    }

    @Test
    void probeSeesJCudaWhenCudaIsAskedFor() throws Exception {
        try (Probe p = probe()) {
            open(p, "cuda");
            assertNotNull(p.loaded("jcuda.driver.JCudaDriver") ? "yes" : null, "control: the cuda path must load JCudaDriver");
        }
    }
}
