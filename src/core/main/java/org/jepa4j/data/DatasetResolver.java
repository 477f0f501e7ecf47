package org.jepa4j.data;

import java.nio.file.Path;

/**
 * Maps the {@code data} section of a run to its datasets: the training images
 * ({@code data.source}, or the reference's {@code folder:<root_path>/<image_folder>} with its
 * {@code train/} sub-folder, docs/reference.md §6) and the held-out images
 * ({@code data.eval_source}, or the TEST split of the same source). {@code data.limit} keeps the
 * first N images of each.
 */
public final class DatasetResolver {

    /** Prefix of the reference configs' placeholder paths (docs/reference.md §7.1). */
    public static final String PLACEHOLDER_PREFIX = "$replace_this_with_";

    private DatasetResolver() {
    }

    /** The source string the training images come from. */
    public static String trainSpec(DataSettings data) {
        if (data.source() != null && !data.source().isBlank()) {
            return data.source();
        }
        String root = data.rootPath();
        if (root == null || root.isBlank() || root.startsWith(PLACEHOLDER_PREFIX)) {
            throw new IllegalArgumentException("config data.root_path: '" + root + "' is a placeholder;"
                    + " set it to the folder that holds data.image_folder ('" + data.imageFolder()
                    + "'), or set data.source (e.g. fashion-mnist, folder:DIR, synthetic)");
        }
        String folder = data.imageFolder() == null ? "" : data.imageFolder();
        return "folder:" + Path.of(root).resolve(folder);
    }

    /** The training images, limited to {@code data.limit}. */
    public static ImageDataset train(DataSettings data) {
        return ImageSources.open(trainSpec(data), Split.TRAIN, data.decoder()).limit(data.limit());
    }

    /**
     * The held-out images: {@code data.eval_source} (its TEST split when it has one, otherwise its
     * only split) or the TEST split of the training source; limited to {@code data.limit}.
     */
    public static ImageDataset eval(DataSettings data) {
        ImageDataset ds = data.evalSource() != null && !data.evalSource().isBlank()
                ? ImageSources.openHeldOut(data.evalSource(), data.decoder())
                : ImageSources.open(trainSpec(data), Split.TEST, data.decoder());
        return ds.limit(data.limit());
    }

    /** {@link #train} or {@link #eval}. */
    public static ImageDataset open(DataSettings data, Split split) {
        return split == Split.TRAIN ? train(data) : eval(data);
    }
}
