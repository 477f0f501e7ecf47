package org.jepa4j.serve;

import org.jepa4j.data.Image;

import java.time.Duration;
import java.util.List;

/**
 * A server process for {@link ServerDrainTest}: {@link PixelStatsEmbedder} with batches of one image
 * that take 600 ms each, a drain period of 1.5 s, run through {@link ServerLifecycle} as
 * {@code jepa4j serve} runs it. Prints {@code PORT <n>} when it listens; the exit status is what
 * {@link ServerLifecycle#serveUntilStopped} returns.
 */
public final class DrainingServerMain {
    private DrainingServerMain() {
    }

    public static void main(String[] args) throws Exception {
        PixelStatsEmbedder stats = new PixelStatsEmbedder();
        BatchEmbedder slow = new BatchEmbedder() {
            @Override
            public ModelDescription describe() {
                return stats.describe();
            }

            @Override
            public float[] prepare(Image image) {
                return stats.prepare(image);
            }

            @Override
            public float[][] embedPrepared(List<float[]> inputs) {
                try {
                    Thread.sleep(600);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                return stats.embedPrepared(inputs);
            }

            @Override
            public void close() {
                stats.close();
            }
        };
        ServeOptions options = ServeOptions.builder().port(0).decodeThreads(2).maxBatch(1)
                .maxWait(Duration.ZERO)
                .timeouts(new ServeOptions.Timeouts(Duration.ofSeconds(30), Duration.ofSeconds(60),
                        Duration.ofMillis(1500))).build();
        EmbeddingServer server = EmbeddingServer.start(List.of(slow), options);
        System.out.println("PORT " + server.port());
        System.out.flush();
        System.exit(ServerLifecycle.serveUntilStopped(server, System.err));
    }
}
