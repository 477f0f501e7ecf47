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

    /**
     * Removes the files a starting run wrote, the lock file included, while the caller still holds the
     * lock: nothing when the folder holds anything else.
     *
     * @return whether they were removed (then {@link #removeFoldersIfEmpty} after the lock is released)
     */
    static boolean removeFiles(Path runFolder, PrintStream out) {
        try {
            if (!Files.isDirectory(runFolder, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            Path checkpoints = runFolder.resolve(Checkpoint.FOLDER);
            List<Path> doomed = new ArrayList<>();
            if (Files.isDirectory(checkpoints, LinkOption.NOFOLLOW_LINKS) && !collect(checkpoints, true, doomed)) {
                return false;
            }
            if (!collect(runFolder, false, doomed)) {
                return false;
            }
            for (Path p : doomed) {
                Files.deleteIfExists(p);
            }
            return true;
        } catch (IOException e) {
            out.println("warning: could not remove the unstarted run folder " + runFolder + ": " + e.getMessage());
            return false;
        }
    }

    /**
     * Removes the run folder and its checkpoint folder when empty; left as they are when another run
     * has begun writing there since the lock was released.
     */
    static void removeFoldersIfEmpty(Path runFolder) {
        try {
            Files.deleteIfExists(runFolder.resolve(Checkpoint.FOLDER));
            Files.deleteIfExists(runFolder);
        } catch (IOException e) {
            // not empty (another run), or gone: either way nothing of this run is left
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
