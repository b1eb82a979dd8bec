package io.cais.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/** Command-line tools the tests drive (docker-compose, kubectl, docker): found on the PATH, run with a timeout. */
public final class Commands {

    /** The exit code {@link #run} reports for a command it stopped at its timeout. */
    public static final int TIMED_OUT = -1;

    private Commands() {
    }

    /** What one run did. */
    public record Result(List<String> command, int exitCode, String stdout, String stderr) {

        public String describe() {
            return "$ " + String.join(" ", command) + "\nexit code: " + exitCode
                    + "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
        }
    }

    /** The executable {@code name} on the PATH; fails (never skips) with {@code installHint} when there is none. */
    public static Path require(String name, String installHint) {
        Optional<Path> found = List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)).stream()
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, name))
                .filter(Files::isExecutable)
                .findFirst();
        if (found.isEmpty()) {
            fail(name + " is required by this test but is not on the PATH: " + installHint);
        }
        return found.get();
    }

    /** Runs {@code command} in {@code workDir} and fails with its whole output unless it exits with 0. */
    public static Result ok(Path workDir, Duration timeout, String... command) throws IOException, InterruptedException {
        Result result = run(workDir, Map.of(), null, timeout, command);
        if (result.exitCode() != 0) {
            fail((result.exitCode() == TIMED_OUT ? "command did not finish within " + timeout : "command failed") + ":\n"
                    + result.describe());
        }
        return result;
    }

    /**
     * Runs {@code command} in {@code workDir} with {@code environment} added to this JVM's and {@code stdin} (or
     * nothing) as its input; whatever its exit code. A command still running at {@code timeout} is killed and
     * reported with {@link #TIMED_OUT}. Output goes to files, never to a pipe that could fill up.
     */
    public static Result run(Path workDir, Map<String, String> environment, String stdin, Duration timeout, String... command)
            throws IOException, InterruptedException {
        Path input = Files.createTempFile("cais-command", ".in");
        Path stdout = Files.createTempFile("cais-command", ".out");
        Path stderr = Files.createTempFile("cais-command", ".err");
        try {
            Files.writeString(input, stdin == null ? "" : stdin);
            ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toAbsolutePath().toFile())
                    .redirectInput(input.toFile()).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
            builder.environment().putAll(environment);
            Process process = builder.start();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.destroyForcibly().waitFor();
            }
            return new Result(List.of(command), finished ? process.exitValue() : TIMED_OUT,
                    Files.readString(stdout), Files.readString(stderr));
        } finally {
            Files.deleteIfExists(input);
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }
}
