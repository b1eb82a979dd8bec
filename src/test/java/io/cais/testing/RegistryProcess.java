package io.cais.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The packaged registry ({@code quarkus-run.jar}) running as its own process, as an operator would start it. */
public final class RegistryProcess implements AutoCloseable {

    private final Process process;
    private final int port;
    private final Path log;

    private RegistryProcess(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /**
     * Starts the runner jar in {@code workDir} with the given system properties plus the test administrator's
     * password, waits until it answers, and creates the test namespace in its database.
     */
    public static RegistryProcess start(Path workDir, Map<String, String> properties) throws Exception {
        Map<String, String> all = new java.util.HashMap<>(properties);
        all.putIfAbsent("cais.admin.initial-password", Admin.PASSWORD);
        RegistryProcess registry = startUnconfigured(workDir, all);
        String database = all.get("quarkus.datasource.jdbc.url");
        if (database != null) {
            // The schema exists now (Flyway ran at start); add the namespace test repositories live in.
            try (var connection = java.sql.DriverManager.getConnection(database, all.get("quarkus.datasource.username"), "");
                 var statement = connection.prepareStatement("INSERT INTO namespace (name) VALUES (?) ON CONFLICT (name) DO NOTHING")) {
                statement.setString(1, Blobs.NAMESPACE);
                statement.executeUpdate();
            }
        }
        return registry;
    }

    /**
     * As {@link #start}, on the test PostgreSQL server's {@code postgres} database with blobs under {@code workDir},
     * plus {@code properties}.
     */
    public static RegistryProcess startOnTestDatabase(Path workDir, Map<String, String> properties) throws Exception {
        Map<String, String> all = new java.util.HashMap<>(properties);
        all.put("quarkus.datasource.jdbc.url", PostgresTestResource.server().getJdbcUrl("postgres", "postgres"));
        all.put("quarkus.datasource.username", "postgres");
        all.putIfAbsent("cais.storage.filesystem.root", workDir.resolve("blobs").toString());
        return start(workDir, all);
    }

    /** Starts the runner jar with exactly the given system properties, as an operator would. */
    public static RegistryProcess startUnconfigured(Path workDir, Map<String, String> properties) throws Exception {
        return launch(workDir, properties, List.of());
    }

    /**
     * As {@link #startUnconfigured}, but as the leader of a process group of its own ({@code setsid}), so that a
     * test can kill it, and whatever stays in its group, at once, without touching the test's own JVM.
     */
    public static RegistryProcess startInOwnProcessGroup(Path workDir, Map<String, String> properties) throws Exception {
        return launch(workDir, properties, List.of("setsid"));
    }

    private static RegistryProcess launch(Path workDir, Map<String, String> properties, List<String> prefix) throws Exception {
        String jar = System.getProperty("cais.runner.jar", "target/quarkus-app/quarkus-run.jar");
        int port = freePort();
        List<String> command = new ArrayList<>(prefix);
        command.addAll(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-Dquarkus.http.port=" + port));
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.add("-jar");
        command.add(Path.of(jar).toAbsolutePath().toString());
        Files.createDirectories(workDir);
        Path log = workDir.resolve("registry-" + port + ".log");
        Process process = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        RegistryProcess registry = new RegistryProcess(process, port, log);
        registry.awaitReady();
        return registry;
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** What the process logged so far. */
    public String log() throws IOException {
        return Files.readString(log);
    }

    public int port() {
        return port;
    }

    /** The process id (with {@link #startInOwnProcessGroup}, also its process group id). */
    public long pid() {
        return process.pid();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    private void awaitReady() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("registry exited with " + process.exitValue() + ":\n" + Files.readString(log));
            }
            try {
                HttpResponse<Void> response = client.send(HttpRequest.newBuilder(URI.create(url("/v2/"))).build(),
                        HttpResponse.BodyHandlers.discarding());
                // 401: up, and asking for credentials.
                if (response.statusCode() == 401 || response.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(200);
        }
        close();
        throw new IllegalStateException("registry did not start within 90 s:\n" + Files.readString(log));
    }

    /** Sends SIGTERM, as an orchestrator does to stop a replica, and returns at once. */
    public void terminate() {
        process.destroy();
    }

    /** Waits for the process to exit; false when it is still running after {@code timeout}. */
    public boolean awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /**
     * Every thread of the running registry, virtual threads included (jcmd Thread.dump_to_file; jstack shows only
     * platform threads, and a request stuck in a handler waits on a virtual one). For failure messages: a test that
     * sees the registry hang says where it hangs.
     */
    public String threadDump() {
        try {
            Path dump = Files.createTempFile("cais-threads", ".txt");
            Files.delete(dump); // jcmd refuses to overwrite
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    String.valueOf(process.pid()), "Thread.dump_to_file", dump.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!jcmd.waitFor(20, java.util.concurrent.TimeUnit.SECONDS) || !Files.exists(dump)) {
                jcmd.destroyForcibly();
                return "(no thread dump: jcmd did not write one)";
            }
            String threads = Files.readString(dump);
            Files.delete(dump);
            return threads;
        } catch (IOException | InterruptedException e) {
            return "(no thread dump: " + e + ")";
        }
    }

    /** Stops the process the way an orchestrator does: SIGTERM, then waits for a clean exit. */
    @Override
    public void close() throws Exception {
        terminate();
        if (!awaitExit(Duration.ofSeconds(60))) {
            process.destroyForcibly().waitFor();
        }
    }
}
