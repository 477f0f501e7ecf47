package org.jepa4j.train;

import org.jepa4j.checkpoint.Checkpoint;
import org.jepa4j.config.MetaConfig;
import org.jepa4j.io.AtomicFiles;
import org.jepa4j.io.RunFolderLock;
import org.jepa4j.provenance.Provenance;
import org.jepa4j.tensor.NamedTensors;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A run folder ({@code --out}, default {@code logging.folder}): the resolved {@code config.yaml},
 * {@code provenance.json}, the CSV log ({@link TrainingLog}) and {@code checkpoints/}, holding
 * {@code latest.safetensors} (rewritten after every epoch and at the end) and
 * {@code epoch-NNNN.safetensors} every {@code logging.checkpoint_freq} epochs. It knows which
 * checkpoint a run resumes from, when a checkpoint is due, and holds the folder's lock while a
 * run writes. In a multi-worker run only the chief writes it: for the other workers every write
 * is skipped.
 */
public final class RunFolder {
    /** The resolved config of the run. */
    public static final String CONFIG = "config.yaml";
    /** The run's provenance (step -1: before any checkpoint). */
    public static final String PROVENANCE = "provenance.json";

    private final Path folder;
    private final boolean writes;
    /** Whether the folder did not exist when this run began (then a run that fails before step 1 removes it). */
    private final boolean made;
    private volatile boolean stepsBegan;

    /**
     * @param folder the run folder
     * @param writes whether this process writes it (false for a worker other than the chief)
     */
    public RunFolder(Path folder, boolean writes) {
        this.folder = folder;
        this.writes = writes;
        this.made = !Files.exists(folder, java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    /** The first step begins: from now on the folder is the run's record, kept whatever happens. */
    void stepsBegin() {
        stepsBegan = true;
    }

    /** @return the folder */
    public Path path() {
        return folder;
    }

    /** @return whether this process writes the folder */
    public boolean writes() {
        return writes;
    }

    /** @return {@code checkpoints/latest.safetensors} */
    public Path latest() {
        return checkpointFolder(folder).resolve(Checkpoint.LATEST);
    }

    /**
     * @param runFolder a run folder
     * @return its checkpoint folder
     */
    public static Path checkpointFolder(Path runFolder) {
        return runFolder.resolve(Checkpoint.FOLDER);
    }

    /**
     * @param epoch a completed 1-based epoch
     * @return the numbered checkpoint file's name
     */
    public static String epochFileName(long epoch) {
        return String.format(Locale.ROOT, "epoch-%04d.safetensors", epoch);
    }

    /** Work done while a run folder is locked. */
    @FunctionalInterface
    public interface LockedWork<T> {
        /** @return the work's result @throws IOException when it fails */
        T run() throws IOException;
    }

    /**
     * Runs {@code work} holding the folder's lock (one writer per run folder: a second run fails here,
     * before it reads or writes anything), after taking over a dead holder's lock and removing its
     * temporary files. A process that does not write the folder takes no lock.
     *
     * @param out  where the take-over and the removed temporaries are reported
     * @param work the run
     * @param <T>  its result
     * @return what {@code work} returned
     * @throws IOException when the lock is held by a live run, or {@code work} fails
     */
    public <T> T whileLocked(PrintStream out, LockedWork<T> work) throws IOException {
        if (!writes) {
            return work.run();
        }
        boolean removed = false;
        try (RunFolderLock lock = RunFolderLock.acquire(folder)) {
            if (lock.stalePrevious() != null) {
                out.println("taking over the lock of an ended run (" + lock.stalePrevious() + ")");
            }
            lock.removeStaleTemporaries(List.of(folder, checkpointFolder(folder)), out);
            try {
                return work.run();
            } catch (IOException | RuntimeException | Error e) {
                // a run that fails before its first step leaves no run folder it made (data that cannot be
                // opened, workers that disagree); its files go while it holds the lock
                removed = made && !stepsBegan && UnstartedRunFolder.removeFiles(folder, out);
                throw e;
            }
        } finally {
            if (removed) {
                UnstartedRunFolder.removeFoldersIfEmpty(folder);
            }
        }
    }

    /**
     * The checkpoint a run continues from: {@code latest} with {@code --resume}, the file of
     * {@code meta.read_checkpoint} (relative to the run folder, as the reference reads it) when
     * {@code meta.load_checkpoint} is true, or null for a new run.
     *
     * @param meta   the run's {@code meta} section
     * @param resume {@code --resume}
     * @return the checkpoint, or null
     * @throws IllegalArgumentException when the file to resume from does not exist, or a new run
     *                                  would overwrite an earlier run's {@code latest}
     * @throws IOException              when the checkpoint cannot be read
     */
    public Checkpoint resumeFrom(MetaConfig meta, boolean resume) throws IOException {
        if (!writes) {
            return null; // a worker other than the chief gets the chief's start point and state instead
        }
        Checkpoint found = find(meta, resume);
        if (found == null && Files.exists(latest())) {
            throw new IllegalArgumentException("run folder " + folder + " already holds " + latest().getFileName()
                    + " from an earlier run: pass --resume to continue it, or choose another --out");
        }
        return found;
    }

    /**
     * Fails naming the missing checkpoint when {@code --resume} is asked for a folder that does not
     * exist, before the lock creates it.
     *
     * @param meta   the run's {@code meta} section
     * @param resume {@code --resume}
     * @throws IOException when the checkpoint cannot be read
     */
    public void checkResumable(MetaConfig meta, boolean resume) throws IOException {
        if (writes && resume && !Files.isDirectory(folder)) {
            find(meta, true);
        }
    }

    private Checkpoint find(MetaConfig meta, boolean resume) throws IOException {
        String read = meta.readCheckpoint();
        boolean fromConfig = meta.loadCheckpoint();
        if (!resume && !fromConfig) {
            return null;
        }
        Path file = latest();
        if (fromConfig && read != null && !read.isBlank()) {
            Path p = Path.of(read);
            // the reference reads meta.read_checkpoint relative to logging.folder
            file = p.isAbsolute() || Files.exists(p) ? p : folder.resolve(read);
        }
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("cannot resume: " + file + " does not exist"
                    + (resume ? " (--resume continues the run in --out / logging.folder)"
                    : " (meta.load_checkpoint is true; meta.read_checkpoint names the file)"));
        }
        return Checkpoint.read(file);
    }

    /**
     * Creates the checkpoint folder and writes {@code config.yaml} and {@code provenance.json}.
     *
     * @param yaml       the resolved config
     * @param provenance the run's provenance
     * @throws IOException when a file cannot be written
     */
    public void writeRunFiles(String yaml, Provenance provenance) throws IOException {
        if (writes) {
            AtomicFiles.writeString(folder.resolve(CONFIG), yaml);
            AtomicFiles.writeString(folder.resolve(PROVENANCE), provenance.toJson(-1));
        }
    }

    /**
     * Creates the checkpoint folder (and the run folder).
     *
     * @throws IOException when it cannot be created
     */
    public void createCheckpointFolder() throws IOException {
        if (writes) {
            AtomicFiles.createFolders(checkpointFolder(folder), "checkpoint");
        }
    }

    /**
     * @param writeTag {@code logging.write_tag}
     * @return the open CSV log, or null when this process does not write the folder
     * @throws IOException when it cannot be opened
     */
    public TrainingLog openLog(String writeTag) throws IOException {
        return writes ? TrainingLog.open(folder.resolve(TrainingLog.fileName(writeTag))) : null;
    }

    /**
     * When a checkpoint is due after a step: at the end of every epoch {@code latest}, and every
     * {@code checkpointFreq} epochs the numbered file too (0: never).
     *
     * @param step           the completed 0-based step
     * @param ipe            iterations per epoch
     * @param checkpointFreq {@code logging.checkpoint_freq}
     * @return the checkpoint due, or null (also when this process does not write the folder)
     */
    public Due dueAfter(long step, long ipe, int checkpointFreq) {
        if (!writes || (step + 1) % ipe != 0) {
            return null;
        }
        long epoch = (step + 1) / ipe;
        boolean numbered = checkpointFreq > 0 && epoch % checkpointFreq == 0;
        return new Due(step + 1, numbered ? checkpointFolder(folder).resolve(epochFileName(epoch)) : null);
    }

    /**
     * A checkpoint to write.
     *
     * @param stepsDone the steps it holds
     * @param numbered  the numbered file to write first, or null for {@code latest} alone
     */
    public record Due(long stepsDone, Path numbered) {
    }

    /**
     * Writes {@code latest}, or the numbered file first and {@code latest} as a second name of it.
     *
     * @param tensors  weights and AdamW moments
     * @param meta     the checkpoint's metadata
     * @param numbered the numbered file, or null
     * @throws IOException when it cannot be written
     */
    public void writeCheckpoint(NamedTensors tensors, Map<String, String> meta, Path numbered) throws IOException {
        Checkpoint ckpt = new Checkpoint(tensors, meta);
        if (numbered == null) {
            ckpt.write(latest());
        } else {
            ckpt.writeNumberedAndLatest(numbered, latest());
        }
    }
}
