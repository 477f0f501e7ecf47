package org.jepa4j.data;

/**
 * Derives independent generator seeds from tuples such as (seed, epoch) or (seed, step, image), so
 * every random draw is a pure function of its coordinates and not of thread scheduling.
 */
public final class SeedMixer {
    private SeedMixer() {
    }

    /** A well-mixed 64-bit value of {@code parts} (SplitMix64 finaliser folded over the parts). */
    public static long mix(long... parts) {
        long h = 0x9E3779B97F4A7C15L;
        for (long p : parts) {
            h = finalise(h ^ finalise(p + 0x9E3779B97F4A7C15L));
            h += 0x632BE59BD9B4E019L;
        }
        return finalise(h);
    }

    private static long finalise(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
