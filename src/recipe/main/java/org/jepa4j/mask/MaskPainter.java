package org.jepa4j.mask;

import org.jepa4j.io.AtomicFiles;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;

/**
 * Draws the masks of a few images of one batch as a picture: one patch grid per image, side by
 * side. Context patches are blue (dark: kept, pale: dropped by the batch truncation of
 * docs/reference.md §1.6); each target block has its own translucent colour, so overlapping
 * targets mix; a cross marks a patch that is both context and target. A legend is drawn below.
 */
public final class MaskPainter {

    /** Pixels per patch cell. */
    public static final int CELL = 18;

    static final Color EMPTY = new Color(236, 236, 236);
    static final Color CONTEXT_KEPT = new Color(40, 90, 160);
    static final Color CONTEXT_DROPPED = new Color(165, 195, 230);
    static final Color[] TARGETS = {
        new Color(220, 30, 30), new Color(245, 150, 0), new Color(40, 160, 40), new Color(150, 60, 170),
        new Color(230, 210, 0), new Color(0, 170, 180), new Color(140, 90, 40), new Color(230, 90, 170),
    };
    private static final float KEPT_ALPHA = 0.7f;
    private static final float DROPPED_ALPHA = 0.3f;
    private static final int MARGIN = 12;
    private static final int GAP = 14;
    private static final int LINE = 16;

    private MaskPainter() {
    }

    /** The colour of target mask {@code m} (cycles after eight). */
    public static Color targetColor(int m) {
        return TARGETS[m % TARGETS.length];
    }

    /** The top-left pixel of cell (row, col) of image {@code i} in a {@link #paint} picture. */
    public static int[] cellOrigin(int image, int gridWidth, int row, int col) {
        int x = MARGIN + image * (gridWidth * CELL + GAP) + col * CELL;
        int y = MARGIN + 2 * LINE + row * CELL;
        return new int[] {x, y};
    }

    /** Paints the first {@code images} images of {@code draw} (at most its batch size), reference truncation. */
    public static BufferedImage paint(MaskDraw draw, int images) {
        return paint(draw, draw.toBatch(), images);
    }

    /** Paints the first {@code images} images of {@code draw}, with {@code batch} the kept (truncated) lists. */
    public static BufferedImage paint(MaskDraw draw, MaskBatch batch, int images) {
        int count = Math.max(1, Math.min(images, draw.batchSize()));
        int gh = draw.gridHeight();
        int gw = draw.gridWidth();
        int npred = draw.targets().length;
        int gridsWidth = count * gw * CELL + (count - 1) * GAP;
        int legendLines = 2 + (npred + 3) / 4;
        int width = Math.max(2 * MARGIN + gridsWidth, 560);
        int height = 2 * MARGIN + 2 * LINE + gh * CELL + (legendLines + 1) * LINE;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.setColor(Color.BLACK);
            g.drawString(title(draw, batch), MARGIN, MARGIN + LINE - 4);
            for (int b = 0; b < count; b++) {
                int[] o = cellOrigin(b, gw, 0, 0);
                g.setColor(Color.DARK_GRAY);
                g.drawString("image " + b, o[0], o[1] - 4);
                paintImage(g, draw, batch, b);
            }
            paintLegend(g, npred, MARGIN + 2 * LINE + gh * CELL + LINE);
        } finally {
            g.dispose();
        }
        return img;
    }

    /** {@link #paint} written as PNG; atomically (temp file in the same folder, then rename). */
    public static void writePng(MaskDraw draw, int images, Path file) throws IOException {
        writePng(draw, draw.toBatch(), images, file);
    }

    /** {@link #paint(MaskDraw, MaskBatch, int)} written as PNG, atomically. */
    public static void writePng(MaskDraw draw, MaskBatch batch, int images, Path file) throws IOException {
        BufferedImage img = paint(draw, batch, images);
        AtomicFiles.writePath(file, tmp -> {
            if (!ImageIO.write(img, "png", tmp.toFile())) {
                throw new IOException("no PNG writer available for " + file);
            }
        });
    }

    private static String title(MaskDraw draw, MaskBatch batch) {
        StringBuilder t = new StringBuilder("step " + draw.step() + ", " + draw.gridHeight() + "x" + draw.gridWidth()
                + " patches");
        if (!draw.targetBlocks().isEmpty()) {
            t.append(", target blocks ").append(draw.targetBlocks());
        }
        if (!draw.contextBlocks().isEmpty()) {
            t.append(", context blocks ").append(draw.contextBlocks());
        }
        t.append(", kept per image: context ").append(batch.contextLength()).append(", target ")
                .append(batch.targetLength());
        return t.toString();
    }

    private static void paintImage(Graphics2D g, MaskDraw draw, MaskBatch batch, int b) {
        int gh = draw.gridHeight();
        int gw = draw.gridWidth();
        int n = gh * gw;
        boolean[] contextFull = new boolean[n];
        boolean[] contextKept = new boolean[n];
        for (int[][] m : draw.context()) {
            for (int idx : m[b]) {
                contextFull[idx] = true;
            }
        }
        for (int[][] m : batch.context()) {
            for (int idx : m[b]) {
                contextKept[idx] = true;
            }
        }
        for (int i = 0; i < n; i++) {
            int[] o = cellOrigin(b, gw, i / gw, i % gw);
            g.setColor(contextKept[i] ? CONTEXT_KEPT : contextFull[i] ? CONTEXT_DROPPED : EMPTY);
            g.fillRect(o[0], o[1], CELL, CELL);
        }
        boolean[] inTarget = new boolean[n];
        for (int m = 0; m < draw.targets().length; m++) {
            boolean[] kept = new boolean[n];
            for (int idx : batch.targets()[m][b]) {
                kept[idx] = true;
            }
            for (int idx : draw.targets()[m][b]) {
                int[] o = cellOrigin(b, gw, idx / gw, idx % gw);
                g.setColor(withAlpha(targetColor(m), kept[idx] ? KEPT_ALPHA : DROPPED_ALPHA));
                g.fillRect(o[0], o[1], CELL, CELL);
                inTarget[idx] = true;
            }
        }
        g.setStroke(new BasicStroke(1.5f));
        g.setColor(Color.WHITE);
        for (int i = 0; i < n; i++) {
            if (inTarget[i] && contextFull[i]) {
                int[] o = cellOrigin(b, gw, i / gw, i % gw);
                g.drawLine(o[0] + 4, o[1] + 4, o[0] + CELL - 4, o[1] + CELL - 4);
                g.drawLine(o[0] + CELL - 4, o[1] + 4, o[0] + 4, o[1] + CELL - 4);
            }
        }
        g.setStroke(new BasicStroke(1f));
        g.setColor(Color.WHITE);
        int[] o = cellOrigin(b, gw, 0, 0);
        for (int r = 0; r <= gh; r++) {
            g.drawLine(o[0], o[1] + r * CELL, o[0] + gw * CELL, o[1] + r * CELL);
        }
        for (int c = 0; c <= gw; c++) {
            g.drawLine(o[0] + c * CELL, o[1], o[0] + c * CELL, o[1] + gh * CELL);
        }
    }

    private static void paintLegend(Graphics2D g, int npred, int y) {
        int x = MARGIN;
        swatch(g, x, y, CONTEXT_KEPT, "context (kept)");
        swatch(g, x + 150, y, CONTEXT_DROPPED, "context dropped by batch truncation");
        y += LINE + 2;
        swatch(g, x, y, EMPTY, "neither");
        g.setColor(Color.BLACK);
        g.drawString("pale target = dropped by truncation; white cross = context and target overlap", x + 150,
                y + 11);
        y += LINE + 2;
        for (int m = 0; m < npred; m++) {
            int col = m % 4;
            if (m > 0 && col == 0) {
                y += LINE + 2;
            }
            swatch(g, x + col * 130, y, withAlpha(targetColor(m), KEPT_ALPHA), "target " + (m + 1));
        }
    }

    private static void swatch(Graphics2D g, int x, int y, Color c, String text) {
        g.setColor(Color.WHITE);
        g.fillRect(x, y, 14, 14);
        g.setColor(c);
        g.fillRect(x, y, 14, 14);
        g.setColor(Color.GRAY);
        g.drawRect(x, y, 14, 14);
        g.setColor(Color.BLACK);
        g.drawString(text, x + 20, y + 11);
    }

    private static Color withAlpha(Color c, float alpha) {
        return new Color(c.getRed(), c.getGreen(), c.getBlue(), Math.round(alpha * 255));
    }
}
