package org.jepa4j.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Opens an {@link ImageDataset} from a source string ({@code data.source} / {@code data.eval_source}):
 * <ul>
 *   <li>{@code fashion-mnist} or {@code fashion-mnist:DIR}: the gzip IDX files of Debian's
 *       {@code dataset-fashion-mnist} (default {@value #FASHION_MNIST_DIR}); train 60000, test 10000.</li>
 *   <li>{@code idx:IMAGES[,LABELS]}: one IDX image file ({@code [N,H,W]} or {@code [N,H,W,C]},
 *       gzip or raw) and an optional label file; a single split.</li>
 *   <li>{@code folder:DIR}: an ImageFolder tree or a flat folder; when DIR holds {@code train/}
 *       and {@code val/} (or {@code test/}) sub-folders they are the TRAIN and TEST splits,
 *       otherwise DIR is a single split.</li>
 *   <li>{@code synthetic[:k=v,...]}: generated images, keys count (1024), size (32), channels (3),
 *       classes (10), seed (0), test_count (count/4): see {@link SyntheticDataset}.</li>
 * </ul>
 */
public final class ImageSources {

    /** Where Debian's {@code dataset-fashion-mnist} package installs its files. */
    public static final String FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

    /** Fashion-MNIST class names in label order. */
    public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
            "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** The accepted forms, quoted in every parse error. */
    public static final String FORMS = "fashion-mnist[:DIR], idx:IMAGES[,LABELS], folder:DIR, "
            + "synthetic[:count=N,size=S,channels=C,classes=K,seed=S,test_count=N]";

    /** Largest side of a synthetic image (4096: 48 MiB of RGB floats per image). */
    static final long SYNTHETIC_MAX_SIZE = 4096;

    private ImageSources() {
    }

    /**
     * The {@code split} of the source {@code spec}. TEST of a single-split source ({@code idx:},
     * a folder without split sub-folders) is an error: name the held-out images in
     * {@code data.eval_source} instead.
     */
    public static ImageDataset open(String spec, Split split) {
        return open(spec, split, false, DEFAULT_DECODER);
    }

    /** As {@link #open(String, Split)}, image files decoded through {@code decoder} (its pixel limit). */
    public static ImageDataset open(String spec, Split split, BoundedImageDecoder decoder) {
        return open(spec, split, false, decoder);
    }

    /** The decoder with the default pixel limit, {@link BoundedImageDecoder#DEFAULT_MAX_PIXELS}. */
    public static final BoundedImageDecoder DEFAULT_DECODER =
            new BoundedImageDecoder(BoundedImageDecoder.DEFAULT_MAX_PIXELS, "data.max_pixels");

    /**
     * The held-out images of {@code spec} as an evaluation source ({@code data.eval_source}): its
     * TEST split when it has splits, otherwise its only split.
     */
    public static ImageDataset openHeldOut(String spec) {
        return open(spec, Split.TEST, true, DEFAULT_DECODER);
    }

    /** As {@link #openHeldOut(String)}, image files decoded through {@code decoder}. */
    public static ImageDataset openHeldOut(String spec, BoundedImageDecoder decoder) {
        return open(spec, Split.TEST, true, decoder);
    }

    /** A source's kind (lower case, before the first ':') and its argument (after it, stripped; null without one). */
    private record Form(String kind, String arg) {
        static Form of(String spec) {
            if (spec == null || spec.isBlank()) {
                throw new IllegalArgumentException("data source is empty; accepted forms: " + FORMS);
            }
            String s = spec.strip();
            int colon = s.indexOf(':');
            return new Form((colon < 0 ? s : s.substring(0, colon)).toLowerCase(Locale.ROOT),
                    colon < 0 ? null : s.substring(colon + 1).strip());
        }
    }

    private static ImageDataset open(String spec, Split split, boolean singleSplitIsHeldOut,
                                     BoundedImageDecoder decoder) {
        Form form = Form.of(spec);
        String kind = form.kind();
        String arg = form.arg();
        return switch (kind) {
            case "fashion-mnist", "fashion_mnist" -> fashionMnist(arg == null || arg.isEmpty()
                    ? Path.of(FASHION_MNIST_DIR) : Path.of(arg), split);
            case "idx" -> idx(spec, require(spec, arg, "IMAGES[,LABELS]"), split, singleSplitIsHeldOut);
            case "folder" -> folder(spec, Path.of(require(spec, arg, "DIR")), split, singleSplitIsHeldOut, decoder);
            case "synthetic" -> synthetic(spec, arg, split);
            default -> throw unknownKind(spec, kind);
        };
    }

    /**
     * Checks a source's form without reading any file: a known kind, the argument it needs, and for
     * {@code synthetic} every key and value. The messages are those {@link #open} gives, so that
     * {@code config} refuses a spec with the words {@code train} would use.
     *
     * @throws IllegalArgumentException naming the spec and the accepted forms
     */
    public static void checkSpec(String spec) {
        Form form = Form.of(spec);
        String kind = form.kind();
        String arg = form.arg();
        switch (kind) {
            case "fashion-mnist", "fashion_mnist" -> { }
            case "idx" -> {
                String[] parts = require(spec, arg, "IMAGES[,LABELS]").split(",", -1);
                if (parts.length > 2 || parts[0].isBlank() || (parts.length == 2 && parts[1].isBlank())) {
                    throw new IllegalArgumentException("data source '" + spec + "': expected idx:IMAGES or "
                            + "idx:IMAGES,LABELS; accepted forms: " + FORMS);
                }
            }
            case "folder" -> require(spec, arg, "DIR");
            case "synthetic" -> {
                synthetic(spec, arg, Split.TRAIN);
                synthetic(spec, arg, Split.TEST);
            }
            default -> throw unknownKind(spec, kind);
        }
    }

    /**
     * The refusal of a spec of no known kind; when the spec names an existing folder or file, it says
     * which form reads it ({@code --data ~/photos} is a common slip for {@code folder:~/photos}).
     */
    private static IllegalArgumentException unknownKind(String spec, String kind) {
        String hint = "";
        String path = spec.strip();
        try {
            if (Files.isDirectory(Path.of(path))) {
                hint = " (" + path + " is a folder: did you mean folder:" + path + "?)";
            } else if (Files.isRegularFile(Path.of(path))) {
                hint = " (" + path + " is a file: did you mean idx:" + path + " for IDX images?)";
            }
        } catch (java.nio.file.InvalidPathException e) {
            // not a path: no hint
        }
        return new IllegalArgumentException("data source '" + spec + "': unknown kind '" + kind + "'" + hint
                + "; accepted forms: " + FORMS);
    }

    /**
     * The files and folders {@code spec} reads (a folder source's folder, an IDX source's files,
     * Fashion-MNIST's folder; none for {@code synthetic}), for the rule that no output is, contains
     * or lies inside a command's input. An unparseable spec gives none: opening it names the problem.
     */
    public static List<Path> inputPaths(String spec) {
        if (spec == null || spec.isBlank()) {
            return List.of();
        }
        String s = spec.strip();
        int colon = s.indexOf(':');
        String kind = (colon < 0 ? s : s.substring(0, colon)).toLowerCase(Locale.ROOT);
        String arg = colon < 0 ? null : s.substring(colon + 1).strip();
        try {
            return switch (kind) {
                case "fashion-mnist", "fashion_mnist" -> List.of(arg == null || arg.isEmpty()
                        ? Path.of(FASHION_MNIST_DIR) : Path.of(arg));
                case "idx" -> arg == null ? List.of() : java.util.Arrays.stream(arg.split(","))
                        .map(String::strip).filter(x -> !x.isEmpty()).map(Path::of).toList();
                case "folder" -> arg == null || arg.isEmpty() ? List.of() : List.of(Path.of(arg));
                default -> List.of();
            };
        } catch (java.nio.file.InvalidPathException e) {
            return List.of();
        }
    }

    private static String require(String spec, String arg, String what) {
        if (arg == null || arg.isEmpty()) {
            throw new IllegalArgumentException("data source '" + spec + "' needs " + what + " after the colon;"
                    + " accepted forms: " + FORMS);
        }
        return arg;
    }

    /** Fashion-MNIST from {@code dir}: {@code train-*} files for TRAIN, {@code t10k-*} for TEST. */
    public static ImageDataset fashionMnist(Path dir, Split split) {
        String prefix = split == Split.TRAIN ? "train" : "t10k";
        Path images = idxFileIn(dir, prefix + "-images-idx3-ubyte");
        Path labels = idxFileIn(dir, prefix + "-labels-idx1-ubyte");
        if (images == null || labels == null) {
            throw new IllegalArgumentException("Fashion-MNIST " + split.label() + " files not found in " + dir
                    + " (expected " + prefix + "-images-idx3-ubyte.gz and " + prefix + "-labels-idx1-ubyte.gz);"
                    + " install them with `apt-get install dataset-fashion-mnist` or give fashion-mnist:DIR");
        }
        return IdxDataset.read(images, labels, FASHION_MNIST_CLASSES, "fashion-mnist " + split.label());
    }

    private static Path idxFileIn(Path dir, String base) {
        for (String name : new String[] {base + ".gz", base}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    private static ImageDataset idx(String spec, String arg, Split split, boolean singleSplitIsHeldOut) {
        if (split == Split.TEST && !singleSplitIsHeldOut) {
            throw singleSplit(spec);
        }
        String[] parts = arg.split(",", -1);
        if (parts.length > 2 || parts[0].isBlank() || (parts.length == 2 && parts[1].isBlank())) {
            throw new IllegalArgumentException("data source '" + spec + "': expected idx:IMAGES or idx:IMAGES,LABELS;"
                    + " accepted forms: " + FORMS);
        }
        Path images = Path.of(parts[0].strip());
        Path labels = parts.length == 2 ? Path.of(parts[1].strip()) : null;
        return IdxDataset.read(images, labels, null, "idx " + images.getFileName());
    }

    private static IllegalArgumentException singleSplit(String spec) {
        return new IllegalArgumentException("data source '" + spec + "' has a single split (the training images);"
                + " name the held-out images in data.eval_source");
    }

    /** The folder that holds {@code split} of {@code dir} (see the class comment), or an error. */
    static Path folderForSplit(String spec, Path dir, Split split, boolean singleSplitIsHeldOut) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("data source '" + spec + "': " + dir + " does not exist or is not a directory");
        }
        Path train = dir.resolve("train");
        Path val = dir.resolve("val");
        Path test = dir.resolve("test");
        boolean splitLayout = Files.isDirectory(train) || Files.isDirectory(val) || Files.isDirectory(test);
        if (!splitLayout) {
            if (split == Split.TEST && !singleSplitIsHeldOut) {
                throw singleSplit(spec);
            }
            return dir;
        }
        if (split == Split.TRAIN) {
            if (!Files.isDirectory(train)) {
                throw new IllegalArgumentException("data source '" + spec + "': " + dir
                        + " has val/ or test/ but no train/ sub-folder");
            }
            return train;
        }
        if (Files.isDirectory(val)) {
            return val;
        }
        if (Files.isDirectory(test)) {
            return test;
        }
        throw new IllegalArgumentException("data source '" + spec + "': " + dir
                + " has train/ but neither val/ nor test/ for the held-out split; set data.eval_source");
    }

    private static ImageDataset folder(String spec, Path dir, Split split, boolean singleSplitIsHeldOut,
                                       BoundedImageDecoder decoder) {
        Path d = folderForSplit(spec, dir, split, singleSplitIsHeldOut);
        return FolderDataset.scan(d, "folder " + split.label(), System.err, decoder);
    }

    private static ImageDataset synthetic(String spec, String arg, Split split) {
        Map<String, Long> v = new LinkedHashMap<>();
        v.put("count", 1024L);
        v.put("size", 32L);
        v.put("channels", 3L);
        v.put("classes", 10L);
        v.put("seed", 0L);
        v.put("test_count", -1L);
        if (arg != null && !arg.isEmpty()) {
            for (String kv : arg.split(",")) {
                int eq = kv.indexOf('=');
                String key = eq < 0 ? kv.strip() : kv.substring(0, eq).strip().toLowerCase(Locale.ROOT);
                if (eq < 0 || !v.containsKey(key)) {
                    throw new IllegalArgumentException("data source '" + spec + "': '" + kv.strip()
                            + "' is not key=value with a key in " + v.keySet() + "; accepted forms: " + FORMS);
                }
                try {
                    v.put(key, Long.parseLong(kv.substring(eq + 1).strip()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("data source '" + spec + "': " + key + " = '"
                            + kv.substring(eq + 1).strip() + "' is not an integer; accepted forms: " + FORMS);
                }
            }
        }
        long count = v.get("count");
        long testCount = v.get("test_count") >= 0 ? v.get("test_count") : Math.max(1, count / 4);
        long n = split == Split.TRAIN ? count : testCount;
        for (String key : List.of("count", "size", "channels", "classes")) {
            if (v.get(key) <= 0 || v.get(key) > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("data source '" + spec + "': " + key + " = " + v.get(key)
                        + " must be a positive int");
            }
        }
        // each image is generated whole in memory: bound its side and channels by sense
        if (v.get("size") > SYNTHETIC_MAX_SIZE) {
            throw new IllegalArgumentException("data source '" + spec + "': size = " + v.get("size")
                    + " is beyond " + SYNTHETIC_MAX_SIZE + " pixels a side");
        }
        if (v.get("channels") > 4) {
            throw new IllegalArgumentException("data source '" + spec + "': channels = " + v.get("channels")
                    + ", expected 1 to 4");
        }
        if (n <= 0 || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("data source '" + spec + "': test_count = " + n + " must be a positive int");
        }
        return new SyntheticDataset((int) n, (int) (long) v.get("size"), (int) (long) v.get("channels"),
                (int) (long) v.get("classes"), v.get("seed"), split);
    }
}
