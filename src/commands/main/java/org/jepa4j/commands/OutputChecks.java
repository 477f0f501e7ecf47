package org.jepa4j.commands;

import org.jepa4j.data.ImageSources;
import org.jepa4j.io.OutputGuard;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/**
 * The checks every writing command makes on its output before it starts, through the one
 * output-safety rule set ({@link OutputGuard}): the output is never, never contains and never lies
 * inside one of the command's inputs (not even with {@code --force}); an existing output is replaced
 * only when it is a complete earlier output of the same command; and a file's name ends with an
 * extension of what the command writes unless {@code --force} says the name is meant.
 */
public final class OutputChecks {
    /** What an existing {@code .npy} output must start with to be replaced. */
    public static final byte[] NPY_MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** What an existing {@code .png} output must start with to be replaced. */
    public static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private OutputChecks() {
    }

    /**
     * Checks a file output.
     *
     * @param option     the output's option, for messages ({@code --out})
     * @param out        the file to be written
     * @param extensions accepted endings, lower case with the dot ({@code .onnx})
     * @param force      {@code --force}: accept another ending
     * @param inputs     what the command reads; {@code out} is none of them, contains none and lies in none
     * @param what       what the command writes, for the message when another file is in the way
     * @param own        whether an existing file at {@code out} is such an output (then it may be replaced)
     * @throws IllegalArgumentException naming the output and what was expected
     */
    public static void checkFile(String option, Path out, List<String> extensions, boolean force, List<OutputGuard.Input> inputs,
                          String what, Predicate<Path> own) {
        if (Files.isDirectory(out)) {
            throw new IllegalArgumentException(option + " " + out + " is a folder, expected a file name ending in "
                    + String.join(" or ", extensions));
        }
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!force && extensions.stream().noneMatch(name::endsWith)) {
            throw new IllegalArgumentException(option + " " + out + ": expected a file name ending in "
                    + String.join(" or ", extensions) + " (what this command writes); pass --force to write it anyway");
        }
        OutputGuard.requireApartFromInputs(option, out, inputs);
        OutputGuard.requireReplaceable(option, out, what, own);
    }

    /**
     * Checks a folder output the command writes files into.
     *
     * @throws IllegalArgumentException when it is a file, or is, contains or lies inside an input
     */
    public static void checkFolder(String option, Path out, List<OutputGuard.Input> inputs) {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new IllegalArgumentException(option + " " + out + " is a file, expected a folder");
        }
        OutputGuard.requireApartFromInputs(option, out, inputs);
    }

    /** The inputs of a data source spec ({@code folder:DIR}, {@code idx:...}), named by {@code option}. */
    public static List<OutputGuard.Input> dataInputs(String option, String spec) {
        List<OutputGuard.Input> in = new ArrayList<>();
        for (Path p : ImageSources.inputPaths(spec)) {
            in.add(new OutputGuard.Input(option, p));
        }
        return in;
    }

    /** An ONNX model and its external-data file, named by {@code option}. */
    public static List<OutputGuard.Input> modelInputs(String option, Path model) {
        if (model == null) {
            return List.of();
        }
        return List.of(new OutputGuard.Input(option, model),
                new OutputGuard.Input(option + " (external data)", model.resolveSibling(model.getFileName() + ".data")));
    }

    /** Inputs joined. */
    @SafeVarargs
    public static List<OutputGuard.Input> inputs(List<OutputGuard.Input>... parts) {
        List<OutputGuard.Input> all = new ArrayList<>();
        for (List<OutputGuard.Input> p : parts) {
            all.addAll(p);
        }
        return all;
    }

    /** Whether {@code file} is a {@code .npy} file (what embed writes). */
    public static boolean isNpy(Path file) {
        return OutputGuard.startsWith(file, NPY_MAGIC);
    }

    /** Whether {@code file} is a PNG image. */
    public static boolean isPng(Path file) {
        return OutputGuard.startsWith(file, PNG_MAGIC);
    }

    /** Whether {@code file} is an ONNX model written by jepa4j (producer name near its start). */
    public static boolean isJepa4jOnnx(Path file) {
        return OutputGuard.headContains(file, "jepa4j", 64);
    }

    /** Whether {@code file} is a CSV of features as embed writes it (header {@code [label,]f0,f1,...}). */
    public static boolean isFeatureCsv(Path file) {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (var r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String first = r.readLine();
            return first != null && first.matches("(label,)?f0(,f\\d+)*");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Whether {@code file} is a resolved run config (YAML with the reference's sections). */
    public static boolean isRunConfigYaml(Path file) {
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            if (Files.size(file) > 1 << 20) {
                return false;
            }
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return lines.contains("data:") && lines.contains("mask:") && lines.contains("meta:");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Whether the two paths name one file (the same inode, or the same resolved path when one is missing). */
    public static boolean sameFile(Path a, Path b) {
        try {
            if (Files.exists(a) && Files.exists(b)) {
                return Files.isSameFile(a, b);
            }
        } catch (IOException e) {
            // fall through to the path comparison
        }
        return OutputGuard.realPath(a).equals(OutputGuard.realPath(b));
    }
}
