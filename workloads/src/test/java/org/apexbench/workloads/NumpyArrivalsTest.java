package org.apexbench.workloads;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** numpy's legacy generator and the arrivals drawn with it, against values numpy 2.4.6 printed (repr, so exact). */
class NumpyArrivalsTest {

    @Test
    void uniformDrawsAreNumpysBitForBit() {
        // numpy.random.seed(0); numpy.random.random_sample(3)
        NumpyLegacyRandom r = new NumpyLegacyRandom(0);
        assertEquals(0.5488135039273248, r.nextDouble());
        assertEquals(0.7151893663724195, r.nextDouble());
        assertEquals(0.6027633760716439, r.nextDouble());
    }

    @Test
    void exponentialDrawsAreNumpysForSeveralSeeds() {
        // numpy.random.seed(0); numpy.random.exponential(1 / 0.5, 5)
        NumpyLegacyRandom r = new NumpyLegacyRandom(0);
        for (double want : new double[] {1.59174901632622, 2.5118615259316757, 1.8464462916081377, 1.5744023046345414,
                1.1020969821909985}) {
            assertEquals(want, r.nextExponential(1 / 0.5));
        }
        // numpy.random.seed(12345); numpy.random.exponential(1.0, 3)
        NumpyLegacyRandom s = new NumpyLegacyRandom(12345);
        assertEquals(2.6537906331017487, s.nextExponential(1));
        assertEquals(0.380346568552371, s.nextExponential(1));
        assertEquals(0.20324143347362159, s.nextExponential(1));
        // the largest seed numpy accepts: numpy.random.seed(4294967295); numpy.random.exponential(1.0, 2)
        NumpyLegacyRandom t = new NumpyLegacyRandom(4294967295L);
        assertEquals(0.10273289199103737, t.nextExponential(1));
        assertEquals(2.4347784703332125, t.nextExponential(1));
    }

    @Test
    void drawsPastTheFirstTwistStayNumpys() {
        // numpy.random.seed(0); g = numpy.random.exponential(1 / 3.3, 2000): 4,000 words, six twists of the state
        NumpyLegacyRandom r = new NumpyLegacyRandom(0);
        double sum = 0, last = 0;
        for (int i = 0; i < 2000; i++) {
            last = r.nextExponential(1 / 3.3);
            sum += last;
        }
        assertEquals(0.21112113480313255, last);
        assertEquals(627.1488596011301, sum, 1e-9);
    }

    @Test
    void neosClientSendsTheFirstRequestAtZeroAndEachNextOneAGapLater() {
        // NEO's evaluation/benchmark.py: np.random.seed(0); gaps = np.random.exponential(1 / rate, n); send, sleep(gap)
        double[] t = new ArrivalProcess.NumpyPoisson(0.5, 0).times(4, new SplittableRandom(99));
        assertArrayEquals(new double[] {0, 1.59174901632622, 1.59174901632622 + 2.5118615259316757,
                1.59174901632622 + 2.5118615259316757 + 1.8464462916081377}, t);
        // the run's random stream plays no part
        assertArrayEquals(t, new ArrivalProcess.NumpyPoisson(0.5, 0).times(4, new SplittableRandom(1)));
    }

    @Test
    void theSpecTakesItsSeedFromTheWorkloadSeed() {
        WorkloadSpec spec = WorkloadSpec.parse("synthetic:count=3,input=8,output=4,rate=0.5,arrival=numpy,seed=12345");
        assertEquals(new ArrivalProcess.NumpyPoisson(0.5, 12345), spec.arrivals());
        List<RequestSpec> rs = spec.generate(new WorkloadContext(32000, 4096, null)).requests();
        assertEquals(0, rs.get(0).arrivalSec());
        assertEquals(2.6537906331017487 / 0.5, rs.get(1).arrivalSec(), 1e-9);
    }

    @Test
    void badInputIsRefusedWithWhatWasExpected() {
        WorkloadException noRate = assertThrows(WorkloadException.class,
                () -> WorkloadSpec.parse("synthetic:count=3,input=8,output=4,arrival=numpy"));
        assertTrue(noRate.getMessage().contains("rate"), noRate.getMessage());
        WorkloadException negative = assertThrows(WorkloadException.class,
                () -> WorkloadSpec.parse("synthetic:count=3,input=8,output=4,rate=1,arrival=numpy,seed=-1"));
        assertTrue(negative.getMessage().contains("from 0 to 4294967295, got -1"), negative.getMessage());
        WorkloadException big = assertThrows(WorkloadException.class, () -> new ArrivalProcess.NumpyPoisson(1, 1L << 32));
        assertTrue(big.getMessage().contains("got 4294967296"), big.getMessage());
    }
}
