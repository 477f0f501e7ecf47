package org.jepa4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code jepa4j} command line: one subcommand per job.
 */
@Command(name = "jepa4j", mixinStandardHelpOptions = true, versionProvider = Jepa4j.Version.class,
        description = "I-JEPA on the JVM: train, export, embed, evaluate and serve image encoders.",
        subcommands = {
                CommandLine.HelpCommand.class,
                ImportCommand.class,
        })
public final class Jepa4j implements Runnable {

    /** The jepa4j version from the jar manifest (or "dev" when run from classes). */
    public static String version() {
        String v = Jepa4j.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"jepa4j " + version(), "Java " + System.getProperty("java.version")};
        }
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Builds the command line (also used by tests). */
    public static CommandLine commandLine() {
        return new CommandLine(new Jepa4j()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
