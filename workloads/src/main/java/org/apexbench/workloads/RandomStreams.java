package org.apexbench.workloads;

import java.util.SplittableRandom;

/**
 * Independent random streams derived from one run seed. The root generator is split in a fixed
 * order, one split per label, whether or not a stream is used, so each stream depends only on the
 * seed and its label: changing the arrival process never changes lengths, prompts or sampling seeds.
 */
public final class RandomStreams {
    /** The labels, in the fixed split order. Append new labels at the end only. */
    public enum Label { LENGTHS, PROMPTS, SAMPLING, ARRIVALS }

    private final SplittableRandom[] streams = new SplittableRandom[Label.values().length];

    public RandomStreams(long seed) {
        SplittableRandom root = new SplittableRandom(seed);
        for (Label l : Label.values()) {
            streams[l.ordinal()] = root.split();
        }
    }

    /** The stream for a label (the same object on every call: draws advance it). */
    public SplittableRandom stream(Label label) { return streams[label.ordinal()]; }

    public SplittableRandom lengths() { return stream(Label.LENGTHS); }

    public SplittableRandom prompts() { return stream(Label.PROMPTS); }

    public SplittableRandom sampling() { return stream(Label.SAMPLING); }

    public SplittableRandom arrivals() { return stream(Label.ARRIVALS); }
}
