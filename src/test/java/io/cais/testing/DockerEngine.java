package io.cais.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real Docker engine ({@code dockerd}, Debian's {@code docker.io}) started by the test in a directory of its own —
 * socket, data root, exec root, PID file — with no network setup of its own (no bridge, no iptables), and the
 * {@code docker} CLI on the PATH pointed at it. Docker Hub is out of reach, so images are built {@code FROM
 * scratch}. Loopback registries are insecure (plain HTTP) for dockerd by default: no daemon.json is needed.
 */
public final class DockerEngine implements AutoCloseable {

    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(120);

    private final Path dir;
    private final Path docker;
    private final Daemon daemon;

    private DockerEngine(Path dir, Path docker, Daemon daemon) {
        this.dir = dir;
        this.docker = docker;
        this.daemon = daemon;
    }

    /** Starts dockerd in {@code dir}; fails (never skips) with an install hint when the engine or CLI is missing. */
    public static DockerEngine start(Path dir) throws IOException, InterruptedException {
        Path dockerd = Commands.require("dockerd",
                "install the Docker engine with `apt-get install -y docker.io` (it lives in /usr/sbin; the tests run it as root)");
        Path docker = Commands.require("docker", "install the Docker CLI with `apt-get install -y docker.io`");
        Files.createDirectories(dir);
        Path socket = dir.resolve("docker.sock");
        Daemon daemon = Daemon.start("dockerd", dir, () -> Files.exists(socket), dockerd.toString(),
                "-H", "unix://" + socket, "--data-root", dir.resolve("data").toString(),
                "--exec-root", dir.resolve("exec").toString(), "--pidfile", dir.resolve("docker.pid").toString(),
                "--storage-driver", "vfs", "--iptables=false", "--ip6tables=false", "--bridge=none", "--ip-masq=false",
                "--userland-proxy=false");
        DockerEngine engine = new DockerEngine(dir, docker, daemon);
        // The socket exists a moment before the API answers on it.
        Path config = engine.clientConfig("probe");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (engine.run(config, "version").exitCode() != 0) {
            if (System.nanoTime() > deadline) {
                engine.close();
                fail("dockerd does not answer on " + socket + ":\n" + daemon.log());
            }
            Thread.sleep(200);
        }
        return engine;
    }

    /**
     * A new, empty client configuration directory ({@code DOCKER_CONFIG}): where {@code docker login} stores
     * credentials and {@code docker manifest} its lists. One per client identity keeps logins apart.
     */
    public Path clientConfig(String name) throws IOException {
        return Files.createDirectories(dir.resolve("clients").resolve(name));
    }

    /** Runs {@code docker args…} with the client configuration {@code config}, whatever its exit code. */
    public Commands.Result run(Path config, String... args) throws IOException, InterruptedException {
        return runWithInput(config, null, args);
    }

    /** Runs {@code docker args…} with {@code stdin} as its input (a password for {@code --password-stdin}). */
    public Commands.Result runWithInput(Path config, String stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(docker.toString()));
        command.addAll(List.of(args));
        // The classic builder: BuildKit would want its own frontend image from Docker Hub.
        Map<String, String> environment = Map.of("DOCKER_HOST", "unix://" + dir.resolve("docker.sock"),
                "DOCKER_CONFIG", config.toString(), "DOCKER_BUILDKIT", "0");
        return Commands.run(dir, environment, stdin, COMMAND_TIMEOUT, command.toArray(String[]::new));
    }

    /** Runs {@code docker args…} and fails with its whole output and the daemon's log unless it exits with 0. */
    public Commands.Result ok(Path config, String... args) throws IOException, InterruptedException {
        Commands.Result result = run(config, args);
        if (result.exitCode() != 0) {
            fail("docker failed:\n" + result.describe() + "\n--- dockerd log (end) ---\n" + tail(daemon.log()));
        }
        return result;
    }

    /**
     * Builds {@code tag} for {@code platform} from scratch, one layer per file. {@code --no-cache}: the classic
     * builder would otherwise reuse layers built for another platform.
     */
    public void build(Path config, String tag, String platform, Map<String, String> files) throws IOException, InterruptedException {
        Path context = Files.createTempDirectory(dir, "context");
        StringBuilder dockerfile = new StringBuilder("FROM scratch\n");
        for (Map.Entry<String, String> file : files.entrySet()) {
            Files.writeString(context.resolve(file.getKey()), file.getValue());
            dockerfile.append("COPY ").append(file.getKey()).append(" /").append(file.getKey()).append('\n');
        }
        Files.writeString(context.resolve("Dockerfile"), dockerfile);
        ok(config, "build", "--quiet", "--no-cache", "--platform", platform, "--tag", tag, context.toString());
    }

    private static String tail(String log) {
        return log.length() <= 4000 ? log : log.substring(log.length() - 4000);
    }

    @Override
    public void close() {
        daemon.close();
    }
}
