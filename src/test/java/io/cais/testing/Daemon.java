package io.cais.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A container engine daemon run by a test: in a session of its own ({@code setsid}), so that a signal meant for
 * Maven's process group does not kill it half-way; its output in a log file; stopped by its PID, then any process
 * it left behind (dockerd's containerd, shims) by theirs. A JVM shutdown hook stops it too when a test run is
 * interrupted before {@code @AfterAll}.
 */
final class Daemon implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

    private final String name;
    private final Process process;
    private final Path log;
    private final Thread shutdownHook;

    private Daemon(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.shutdownHook = new Thread(this::stop, "stop " + name);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * Starts {@code command} in {@code dir} and waits until {@code ready} holds; fails with the daemon's log if it
     * exits or is not ready within a minute.
     */
    static Daemon start(String name, Path dir, BooleanSupplier ready, String... command) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("setsid"));
        all.addAll(List.of(command));
        Path log = dir.resolve(name + ".log");
        Process process = new ProcessBuilder(all).directory(dir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(log.toFile()).start();
        Daemon daemon = new Daemon(name, process, log);
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!ready.getAsBoolean()) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String why = process.isAlive() ? "is not ready after " + START_TIMEOUT : "exited with " + process.exitValue();
                daemon.close();
                throw new IllegalStateException(name + " " + why + ":\n" + daemon.log());
            }
            Thread.sleep(100);
        }
        return daemon;
    }

    long pid() {
        return process.pid();
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** SIGTERM to the daemon's PID; SIGKILL when it has not exited in 20 s; then SIGKILL to whatever it left. */
    private void stop() {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
    }

    @Override
    public void close() {
        stop();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
    }
}
