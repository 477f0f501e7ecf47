package org.jepa4j.nativeimage;

import org.jepa4j.commands.CommandLineSupport;
import org.jepa4j.commands.EmbedCommand;
import org.jepa4j.commands.ServeCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the native {@code jepa4j} executable (GraalVM Native Image): the inference
 * commands of the JVM command line, the same classes with the same options, outputs, messages and
 * exit codes, in a binary that starts in milliseconds and needs no JDK.
 */
@Command(name = "jepa4j", mixinStandardHelpOptions = true, versionProvider = CommandLineSupport.Version.class,
        description = "I-JEPA features from an exported ONNX encoder: the native executable of jepa4j's inference"
                + " commands (training, export and evaluation run on the JVM: tools/jepa4j).",
        subcommands = {
                CommandLine.HelpCommand.class,
                EmbedCommand.class,
                ServeCommand.class,
        })
public final class Jepa4jNative implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /**
     * The executable's command line (also run on the JVM by the tests that compare the two).
     *
     * @return the configured command line
     */
    public static CommandLine commandLine() {
        return CommandLineSupport.configure(new CommandLine(new Jepa4jNative()), ex -> false);
    }

    /**
     * Runs one command and exits with its code.
     *
     * @param args the command and its options, as for {@code tools/jepa4j}
     */
    public static void main(String[] args) {
        // as tools/jepa4j runs the JVM: images are decoded without a display
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        CommandLineSupport.runAndExit(commandLine(), args);
    }
}
