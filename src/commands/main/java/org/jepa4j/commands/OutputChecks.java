package org.jepa4j.commands;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The checks every writing command makes on its output before it starts: the output is never one
 * of the command's own inputs (not even with {@code --force}), and its name ends with an
 * extension of what the command writes unless {@code --force} says the name is meant.
 */
public final class OutputChecks {
    private OutputChecks() {
    }

    /**
     * @param option     the output's option, for messages ({@code --out})
     * @param out        the file to be written
     * @param extensions accepted endings, lower case with the dot ({@code .onnx})
     * @param force      {@code --force}: accept another ending
     * @param inputs     the files the command reads; none may be {@code out}
     * @throws IllegalArgumentException naming the output and what was expected
     */
    public static void check(String option, Path out, List<String> extensions, boolean force, List<Path> inputs) {
        if (Files.isDirectory(out)) {
            throw new IllegalArgumentException(option + " " + out + " is a folder, expected a file name ending in "
                    + String.join(" or ", extensions));
        }
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!force && extensions.stream().noneMatch(name::endsWith)) {
            throw new IllegalArgumentException(option + " " + out + ": expected a file name ending in "
                    + String.join(" or ", extensions) + " (what this command writes); pass --force to write it anyway");
        }
        for (Path in : inputs) {
            if (in != null && sameFile(out, in)) {
                throw new IllegalArgumentException(option + " " + out + " is the input " + in
                        + " of this command: writing it would destroy what is being read; choose another " + option);
            }
        }
    }

    /**
     * Whether the two paths name one file.
     *
     * @param a a path
     * @param b another path
     * @return the same inode, or the same normalised path when one is missing
     */
    public static boolean sameFile(Path a, Path b) {
        try {
            if (Files.exists(a) && Files.exists(b)) {
                return Files.isSameFile(a, b);
            }
        } catch (IOException e) {
            // fall through to the path comparison
        }
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }
}
