package org.jepa4j.mask;

import org.jepa4j.config.MaskConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MaskPainterTest {

    private static int rgbAtCellCentre(BufferedImage img, int image, int gridWidth, int idx) {
        int[] o = MaskPainter.cellOrigin(image, gridWidth, idx / gridWidth, idx % gridWidth);
        return img.getRGB(o[0] + 2, o[1] + 2) & 0xFFFFFF;
    }

    @Test
    void contextAndTargetCellsGetTheirColours(@TempDir Path dir) throws IOException {
        MaskDraw d = new MultiBlockMaskSampler(16, 16, MaskConfig.defaults(), 0).draw(0, 4);
        Path png = dir.resolve("masks.png");
        MaskPainter.writePng(d, 3, png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img);
        assertTrue(img.getWidth() >= 3 * 16 * MaskPainter.CELL);
        MaskBatch batch = d.toBatch();
        for (int b = 0; b < 3; b++) {
            int kept = batch.context()[0][b][0];
            assertEquals(MaskPainter.CONTEXT_KEPT.getRGB() & 0xFFFFFF, rgbAtCellCentre(img, b, 16, kept));
            // a patch in no mask: the last row is never used with cover_edges false
            assertEquals(MaskPainter.EMPTY.getRGB() & 0xFFFFFF, rgbAtCellCentre(img, b, 16, 255));
            int t = d.targets()[0][b][0];
            int rgb = rgbAtCellCentre(img, b, 16, t);
            assertNotEquals(MaskPainter.EMPTY.getRGB() & 0xFFFFFF, rgb);
            assertNotEquals(MaskPainter.CONTEXT_KEPT.getRGB() & 0xFFFFFF, rgb);
            assertTrue(((rgb >> 16) & 0xFF) > ((rgb >> 8) & 0xFF), "target 1 is reddish over its background");
        }
        try (var files = Files.list(dir)) {
            assertEquals(1, files.count(), "no temp file left behind");
        }
    }
}
