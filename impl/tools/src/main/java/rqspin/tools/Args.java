package rqspin.tools;

import picocli.CommandLine;

/**
 * What the command-line tools share in reading their arguments: picocli
 * parses the options into the tool's option object, and every problem
 * becomes an {@link IllegalArgumentException} of one line, which the tool
 * prints on stderr before it exits with 2 (nothing run).
 */
final class Args {
    private Args() {}

    /** Parses {@code args} into {@code options} (a picocli {@code @Command} object); one line on a problem. */
    static void parseInto(Object options, String[] args) {
        try {
            new CommandLine(options).parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            String m = e.getMessage().lines().findFirst().orElse("bad arguments");
            if (m.startsWith("Unknown option")) {
                m = "unknown option " + m.replaceFirst("^Unknown options?: ", "");
            } else if (m.startsWith("Missing required parameter for option")) {
                m = m.replaceFirst("^Missing required parameter for option '([^']+)'.*$", "$1 needs a value");
            } else if (m.startsWith("Unmatched argument")) {
                m = "unknown argument " + m.replaceFirst("^Unmatched arguments? from index \\d+: ", "");
            }
            throw new IllegalArgumentException(m + " (see --help)");
        }
    }

    /** A tool's run once its arguments are read: the exit status. */
    interface Body<C> {
        int run(C config) throws InterruptedException;
    }

    /**
     * A tool's {@code main}: reads {@code args} with {@code parse} (null for
     * --help: prints {@code usage}), on bad arguments prints
     * {@code tool: problem} on stderr and exits with 2, otherwise runs
     * {@code body} and exits with its status.
     */
    static <C> void main(String tool, String[] args, java.util.function.Function<String[], C> parse,
                         java.util.function.Supplier<String> usage, Body<C> body) throws InterruptedException {
        C config;
        try {
            config = parse.apply(args);
        } catch (IllegalArgumentException e) {
            System.err.println(tool + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        if (config == null) {
            System.out.println(usage.get());
            return;
        }
        int status = body.run(config);
        System.out.flush();
        System.exit(status);
    }

    /** The usage text of a picocli {@code @Command} object, without colours. */
    static String usage(Object options) {
        return new CommandLine(options).getUsageMessage(CommandLine.Help.Ansi.OFF).stripTrailing();
    }

    /** The integer value {@code v} of option {@code opt}, in {@code min..max}. */
    static long number(String opt, String v, long min, long max) {
        long n;
        try {
            n = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " must be a number, got '" + v + "'");
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(opt + " must be in " + min + ".." + max + ", got " + n);
        }
        return n;
    }

    /** The probability {@code v} of option {@code opt}, in [0,1]. */
    static double probability(String opt, String v) {
        double p;
        try {
            p = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " must be a number, got '" + v + "'");
        }
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException(opt + " must be in [0,1], got " + v);
        }
        return p;
    }
}
