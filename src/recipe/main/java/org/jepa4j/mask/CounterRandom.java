package org.jepa4j.mask;

/**
 * A small deterministic generator keyed by a tuple (run seed, step, image): SplitMix64 over a
 * state derived from the keys. The reference draws block positions from torch's process-global
 * RNG (docs/reference.md §1.2), whose result depends on which worker ran which batch; keying by
 * (seed, step, image) makes every image's masks a pure function of those numbers, whatever thread
 * draws them. Not thread-safe; make one per image.
 */
final class CounterRandom {

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private long state;

    private CounterRandom(long state) {
        this.state = state;
    }

    /** A generator for the key tuple; different tuples give unrelated streams. */
    static CounterRandom of(long... keys) {
        long s = 0x6A09E667F3BCC909L;
        for (long k : keys) {
            s = mix(s ^ mix(k + GOLDEN));
        }
        return new CounterRandom(s);
    }

    long nextLong() {
        state += GOLDEN;
        return mix(state);
    }

    /** Uniform in {@code [0, bound)}, unbiased (rejection as {@code java.util.Random#nextInt(int)}). */
    int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        while (true) {
            int bits = (int) (nextLong() >>> 33);
            int val = bits % bound;
            if (bits - val + (bound - 1) >= 0) {
                return val;
            }
        }
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
