package org.jepa4j.nativeimage;

import org.jepa4j.export.OnnxExporter;
import org.jepa4j.export.TestModels;
import org.jepa4j.model.EncoderSpec;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** A tiny exported encoder and a folder of images in every format the decoders take. */
final class Fixtures {
    private Fixtures() {
    }

    /** The image formats of the parity tests, as ImageIO names them. */
    static final String[] FORMATS = {"png", "jpg", "bmp", "gif"};

    /** Exports a tiny random ViT (16 px, patch 4, width 32, depth 4) to {@code dir/encoder.onnx}. */
    static Path model(Path dir) throws IOException {
        EncoderSpec spec = new EncoderSpec(16, 4, 3, 32, 4, 2, 64);
        Path model = dir.resolve("encoder.onnx");
        OnnxExporter.export(TestModels.writeCheckpoint(dir.resolve("c.safetensors"), spec, 7), model,
                OnnxExporter.Options.defaults());
        return model;
    }

    /**
     * An ImageFolder tree {@code dir/images/<class>/<n>.<format>}: two classes, each format twice,
     * random pixels and sizes (not the model's), so decoding, colour models and resizing all matter.
     */
    static Path imageFolder(Path dir) throws IOException {
        Path root = dir.resolve("images");
        Random random = new Random(11);
        for (String cls : new String[] {"cat", "dog"}) {
            Files.createDirectories(root.resolve(cls));
            int n = 0;
            for (String format : FORMATS) {
                for (int copy = 0; copy < 2; copy++) {
                    BufferedImage img = image(random, 13 + random.nextInt(30), 11 + random.nextInt(30));
                    Path file = root.resolve(cls).resolve((n++) + "." + format);
                    if (!ImageIO.write(img, format, file.toFile())) {
                        throw new IOException("no ImageIO writer for " + format);
                    }
                }
            }
        }
        return root;
    }

    /** One image of {@code format}, encoded. */
    static byte[] encoded(String format, long seed) throws IOException {
        var bytes = new java.io.ByteArrayOutputStream();
        ImageIO.write(image(new Random(seed), 21, 17), format, bytes);
        return bytes.toByteArray();
    }

    private static BufferedImage image(Random random, int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                // smooth gradients plus noise: JPEG keeps some of it, GIF quantises it
                int r = (x * 255 / w + random.nextInt(40)) & 0xff;
                int g = (y * 255 / h + random.nextInt(40)) & 0xff;
                int b = random.nextInt(256);
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }
}
