package org.jepa4j.data;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageDatasetViewTest {
    private final ImageDataset all = ImageSources.open("synthetic:count=30,size=8,classes=4,seed=3", Split.TRAIN);

    @Test
    void rangeReadsTheSameImagesAndLabelsShifted() {
        ImageDataset part = all.range(12, 30);
        assertEquals(18, part.size());
        for (int i = 0; i < part.size(); i++) {
            assertArrayEquals(all.image(12 + i).pixels(), part.image(i).pixels(), "image " + i);
            assertEquals(all.label(12 + i), part.label(i), "label " + i);
            assertEquals(all.source(12 + i), part.source(i));
        }
        assertEquals(all.classNames(), part.classNames());
        assertTrue(part.description().endsWith("images 12 to 29"), part.description());
        // a limit on a range keeps its start
        assertArrayEquals(all.image(12).pixels(), part.limit(5).image(0).pixels());
        assertEquals(5, part.limit(5).size());
    }

    @Test
    void selectReadsTheImagesAtTheIndicesInTheirOrder() {
        int[] at = {7, 2, 29};
        ImageDataset part = all.select(at, "3 chosen");
        assertEquals(3, part.size());
        for (int i = 0; i < at.length; i++) {
            assertArrayEquals(all.image(at[i]).pixels(), part.image(i).pixels(), "image " + i);
            assertEquals(all.label(at[i]), part.label(i));
        }
        at[0] = 0; // the view keeps its own copy of the indices
        assertArrayEquals(all.image(7).pixels(), part.image(0).pixels());
        assertTrue(part.description().endsWith(", 3 chosen"), part.description());
        assertThrows(IndexOutOfBoundsException.class, () -> part.image(3));
        assertThrows(IllegalArgumentException.class, () -> all.select(new int[] {30}, "x"));
    }

    @Test
    void rangeRefusesIndicesOutsideIt() {
        ImageDataset part = all.range(0, 10);
        assertThrows(IndexOutOfBoundsException.class, () -> part.image(10));
        assertThrows(IndexOutOfBoundsException.class, () -> part.label(-1));
        assertThrows(IllegalArgumentException.class, () -> all.range(5, 31));
        assertThrows(IllegalArgumentException.class, () -> all.range(6, 5));
        assertSame(all, all.range(0, 30));
    }
}
