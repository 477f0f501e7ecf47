package org.jepa4j.mask;

/**
 * The CPU engine of {@code torch.Generator} (MT19937, 32-bit) and its single-precision uniform
 * draw, so that {@code g.manual_seed(step); torch.rand(1, generator=g)} gives the same numbers
 * here as in the reference collator (docs/reference.md §1.2). Only the per-batch block sizes
 * (and the random masker's ratio) use it; positions use {@link CounterRandom}.
 *
 * <p>Check values: MT19937 seeded with 5489 yields 4123659995 as its 10000th output (C++
 * standard); {@code torch.manual_seed(0); torch.rand(2)} prints {@code [0.4963, 0.7682]}.
 * Not thread-safe; make one per batch.
 */
final class TorchGenerator {

    private static final int N = 624;
    private static final int M = 397;

    private final int[] state = new int[N];
    private int index;

    /** As {@code torch.Generator().manual_seed(seed)}: the engine is seeded with the low 32 bits. */
    TorchGenerator(long seed) {
        state[0] = (int) seed;
        for (int i = 1; i < N; i++) {
            int prev = state[i - 1];
            state[i] = 1812433253 * (prev ^ (prev >>> 30)) + i;
        }
        index = N;
    }

    /** The next raw 32-bit output (as an unsigned value in the int's bits). */
    int nextInt() {
        if (index >= N) {
            twist();
        }
        int y = state[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    /** {@code torch.rand(1).item()} for float32: the low 24 bits of one output over 2^24, in [0, 1). */
    double rand() {
        return (nextInt() & 0xFFFFFF) * 0x1.0p-24;
    }

    private void twist() {
        for (int i = 0; i < N; i++) {
            int y = (state[i] & 0x80000000) | (state[(i + 1) % N] & 0x7fffffff);
            int next = state[(i + M) % N] ^ (y >>> 1);
            if ((y & 1) != 0) {
                next ^= 0x9908b0df;
            }
            state[i] = next;
        }
        index = 0;
    }
}
