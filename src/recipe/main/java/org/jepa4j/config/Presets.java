package org.jepa4j.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Finds the run file a {@code --config} argument names: an existing file path wins; otherwise a
 * preset name ({@code fashion_mnist}, {@code models/vit_base}, {@code official/in1k_vith14_ep300})
 * is looked up as {@code graphs/NAME.yaml} under the working directory, then under
 * {@code -Djepa4j.home}, then inside the jar ({@code jepa4j/graphs/}, packaged from {@code graphs/}).
 */
public final class Presets {

    /** Classpath folder the build copies {@code graphs/} into. */
    public static final String RESOURCE_ROOT = "jepa4j/graphs";

    /** System property naming the jepa4j checkout (set by {@code tools/jepa4j}). */
    public static final String HOME_PROPERTY = "jepa4j.home";

    private Presets() {
    }

    /**
     * The config named by {@code argument}.
     *
     * @throws ConfigException when it is neither a file nor a preset (listing the presets)
     */
    public static ConfigSource find(String argument) {
        return find(argument, graphDirs());
    }

    /** As {@link #find(String)}, looking for presets in {@code graphDirs} (in order), then in the jar. */
    static ConfigSource find(String argument, List<Path> graphDirs) {
        Path file = Path.of(argument);
        if (Files.isRegularFile(file)) {
            return new ConfigSource(argument, read(file, argument));
        }
        if (Files.isDirectory(file)) {
            throw new ConfigException(argument, "is a folder, expected a YAML run file or a preset name (presets: "
                    + String.join(", ", names()) + ")");
        }
        if (file.isAbsolute()) { // a path, never a preset name
            String inTheWay = org.jepa4j.io.AtomicFiles.regularFileInTheWay(file);
            throw new ConfigException(argument, "no such file" + (inTheWay == null ? ""
                    : " (" + inTheWay + " is a regular file, not a folder)")
                    + "; expected a YAML run file or a preset name (presets: " + String.join(", ", names()) + ")");
        }
        String name = argument.endsWith(".yaml") || argument.endsWith(".yml") ? argument : argument + ".yaml";
        for (Path dir : graphDirs) {
            Path candidate = dir.resolve(name);
            if (Files.isRegularFile(candidate)) {
                return new ConfigSource(candidate.toString(), read(candidate, argument));
            }
        }
        String resource = RESOURCE_ROOT + "/" + name;
        try (InputStream in = Presets.class.getClassLoader().getResourceAsStream(resource)) {
            if (in != null) {
                return new ConfigSource("classpath:" + resource, new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new ConfigException("classpath:" + resource, "cannot read the preset (" + e + ")");
        }
        throw new ConfigException(argument, "no such file, and no preset graphs/" + name + "; presets: "
                + String.join(", ", names()));
    }

    /** The file-system preset folders, in lookup order: {@code ./graphs}, then {@code $jepa4j.home/graphs}. */
    public static List<Path> graphDirs() {
        List<Path> dirs = new ArrayList<>();
        dirs.add(Path.of("graphs"));
        String home = System.getProperty(HOME_PROPERTY);
        if (home != null && !home.isBlank()) {
            dirs.add(Path.of(home, "graphs"));
        }
        return dirs;
    }

    /** Every preset name available (file system and jar), sorted, without the {@code .yaml} suffix. */
    public static List<String> names() {
        TreeSet<String> names = new TreeSet<>();
        for (Path dir : graphDirs()) {
            if (Files.isDirectory(dir)) {
                collect(dir, names);
            }
        }
        URL url = Presets.class.getClassLoader().getResource(RESOURCE_ROOT);
        if (url != null) {
            try {
                URI uri = url.toURI();
                if ("jar".equals(uri.getScheme())) {
                    try (FileSystem fs = newJarFileSystem(uri)) {
                        collect(fs.getPath(RESOURCE_ROOT), names);
                    } catch (FileSystemAlreadyExistsException e) {
                        collect(FileSystems.getFileSystem(uri).getPath(RESOURCE_ROOT), names);
                    }
                } else if ("file".equals(uri.getScheme())) {
                    collect(Path.of(uri), names);
                }
            } catch (URISyntaxException | IOException | UncheckedIOException e) {
                // listing is a convenience for messages; the lookup itself does not need it
            }
        }
        return new ArrayList<>(names);
    }

    private static FileSystem newJarFileSystem(URI uri) throws IOException {
        return FileSystems.newFileSystem(uri, Map.of());
    }

    private static void collect(Path dir, TreeSet<String> names) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(p -> p.getFileName() != null && p.getFileName().toString().endsWith(".yaml"))
                    .forEach(p -> {
                        String rel = dir.relativize(p).toString().replace('\\', '/');
                        names.add(rel.substring(0, rel.length() - ".yaml".length()));
                    });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String read(Path file, String argument) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file.toString(), "cannot read the file given as --config " + argument + ": "
                    + org.jepa4j.io.AtomicFiles.describe(e));
        }
    }
}
