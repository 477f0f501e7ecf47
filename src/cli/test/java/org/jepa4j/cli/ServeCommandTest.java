package org.jepa4j.cli;

import org.jepa4j.commands.ServeCommand;
import org.jepa4j.export.OnnxExporter;
import org.jepa4j.export.TestModels;
import org.jepa4j.infer.FeatureExtractor;
import org.jepa4j.serve.EmbeddingServer;
import org.jepa4j.serve.ServeOptions;
import org.jepa4j.testkit.ExportedEncoders;
import org.jepa4j.testkit.TinyEncoders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Timeout(120)
class ServeCommandTest {
    @TempDir
    Path dir;

    @Test
    void servesOnAFreePortAndPrintsOneStartupLine() throws Exception {
        Path model = ExportedEncoders.export(dir, TinyEncoders.RGB_ONE_LAYER, 3).model();
        ServeCommand command = new ServeCommand();
        CommandLine cl = Jepa4j.commandLine();
        // the registered subcommand is a fresh instance; run ours through the same options
        CommandLine serve = new CommandLine(command);
        StringWriter out = new StringWriter();
        serve.setOut(new PrintWriter(out, true));
        assertTrue(cl.getSubcommands().containsKey("serve"), "serve is registered in jepa4j");
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> serve.execute("--model", model.toString(),
                "--port", "0", "--max-batch", "8", "--max-wait-ms", "2", "--threads", "1", "--max-body-bytes", "64KiB"));
        EmbeddingServer server = command.started().get(60, TimeUnit.SECONDS);
        String line = out.toString().strip();
        assertEquals(1, line.lines().count(), line);
        assertTrue(line.contains("model encoder.onnx@") && line.contains("dimension 32") && line.contains("provider cpu")
                && line.contains("http://127.0.0.1:" + server.port()), line);

        BufferedImage img = new BufferedImage(20, 18, BufferedImage.TYPE_INT_RGB);
        img.setRGB(3, 4, 0xff8800);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(img, "png", png);
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/v1/embeddings"))
                .header("Content-Type", "image/png").timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofByteArray(png.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        try (FeatureExtractor fx = FeatureExtractor.open(model)) {
            float first = fx.embed(png.toByteArray())[0];
            String body = r.body();
            float served = Float.parseFloat(body.substring(body.indexOf("\"embedding\":[") + 13).split("[,\\]]")[0]);
            assertEquals(first, served, 1e-6 * Math.max(1, Math.abs(first)));
        }
        server.close();
        assertEquals(0, exit.get(60, TimeUnit.SECONDS));
    }

    @Test
    void optionsMapToServeOptions() {
        ServeCommand command = new ServeCommand();
        new CommandLine(command).parseArgs("--model", "m.onnx", "--port", "0", "--max-batch", "4", "--max-wait-ms", "0.5",
                "--queue", "9", "--max-body-bytes", "1MiB", "--max-pixels", "1000", "--host", "::1",
                "--read-timeout-ms", "1500", "--idle-timeout-ms", "2500", "--drain-ms", "700",
                "--max-request-pixels", "5000", "--large-image-pixels", "300", "--large-decode-threads", "2",
                "--large-queue", "3", "--describe-model-fully");
        ServeOptions o = command.serveOptions();
        assertEquals(4, o.maxBatch());
        assertEquals(Duration.ofNanos(500_000), o.maxWait());
        assertEquals(9, o.queue());
        assertEquals(1L << 20, o.maxBodyBytes());
        assertEquals(1000, o.maxPixels());
        assertEquals("::1", o.host());
        assertEquals(new ServeOptions.Timeouts(Duration.ofMillis(1500), Duration.ofMillis(2500), Duration.ofMillis(700)),
                o.timeouts());
        assertEquals(new ServeOptions.DecodeBudget(5000, 300, 2, 3), o.decodeBudget());
        assertTrue(o.describeFully());
    }

    @Test
    void aMissingModelIsAnErrorNamingTheFile() {
        StringWriter err = new StringWriter();
        CommandLine cl = Jepa4j.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute("serve", "--model", dir.resolve("nope.onnx").toString(), "--port", "0");
        assertTrue(code != 0);
        assertTrue(err.toString().contains("nope.onnx"), err.toString());
    }
}
