package org.jepa4j.train;

import org.jepa4j.checkpoint.Checkpoint;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Removes the run folder a run made when it fails before its first step, so that a failed start
 * leaves nothing that looks like a run (and nothing that a later {@code --resume} or a second try
 * with the same {@code --out} trips over). Only the files a starting run writes are removed, and the
 * folder only when it is then empty: anything else in it is left where it is.
 */
final class UnstartedRunFolder {
    private UnstartedRunFolder() {
    }

    /** Whether {@code name} (in the run folder, or in its checkpoint folder when {@code inCheckpoints}) is a starting run's. */
    private static boolean writtenAtStart(String name, boolean inCheckpoints) {
        if (name.startsWith(".") && name.contains(".tmp")) {
            return true; // a temporary of an atomic write
        }
        if (inCheckpoints) {
            return false; // a checkpoint: the run had trained
        }
        return name.equals("config.yaml") || name.equals("provenance.json") || name.endsWith("_r0.csv")
                || name.equals(org.jepa4j.io.RunFolderLock.FILE);
    }

    static void remove(Path runFolder, PrintStream out) {
        try {
            if (!Files.isDirectory(runFolder, LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            Path checkpoints = runFolder.resolve(Checkpoint.FOLDER);
            List<Path> doomed = new ArrayList<>();
            if (Files.isDirectory(checkpoints, LinkOption.NOFOLLOW_LINKS) && !collect(checkpoints, true, doomed)) {
                return;
            }
            if (!collect(runFolder, false, doomed)) {
                return;
            }
            for (Path p : doomed) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(checkpoints);
            Files.deleteIfExists(runFolder);
        } catch (IOException e) {
            out.println("warning: could not remove the unstarted run folder " + runFolder + ": " + e.getMessage());
        }
    }

    /** Adds the folder's files to {@code doomed}; false when it holds anything a starting run does not write. */
    private static boolean collect(Path folder, boolean inCheckpoints, List<Path> doomed) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(folder)) {
            for (Path p : entries) {
                String name = p.getFileName().toString();
                if (!inCheckpoints && name.equals(Checkpoint.FOLDER) && Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || !writtenAtStart(name, inCheckpoints)) {
                    return false;
                }
                doomed.add(p);
            }
        }
        return true;
    }
}
