package io.cais.testing;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/** Command-line tools the tests drive (docker-compose, kubectl): found on the PATH, run with a timeout. */
public final class Commands {

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
        Path stdout = Files.createTempFile("cais-command", ".out");
        Path stderr = Files.createTempFile("cais-command", ".err");
        try {
            Process process = new ProcessBuilder(command).directory(workDir.toAbsolutePath().toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
            boolean finished = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                process.destroyForcibly().waitFor();
            }
            Result result = new Result(List.of(command), finished ? process.exitValue() : -1,
                    Files.readString(stdout), Files.readString(stderr));
            if (!finished || result.exitCode() != 0) {
                fail((finished ? "command failed" : "command did not finish within " + timeout) + ":\n" + result.describe());
            }
            return result;
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }
}
