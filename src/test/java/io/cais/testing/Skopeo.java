package io.cais.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The real {@code skopeo} client, run as a process with a permissive signature policy of its own (so the host's
 * {@code /etc/containers/policy.json} does not matter) and a timeout. Output goes to files, never to a pipe that
 * could fill up.
 */
public final class Skopeo {

    public static final Path BINARY = Path.of(System.getProperty("cais.skopeo", "/usr/bin/skopeo"));
    private static final long TIMEOUT_SECONDS = 180;

    private final Path workDir;
    private final Path policy;
    private final AtomicInteger runs = new AtomicInteger();

    private Skopeo(Path workDir, Path policy) {
        this.workDir = workDir;
        this.policy = policy;
    }

    /** Fails (never skips) when skopeo is not installed. */
    public static Skopeo in(Path workDir) throws IOException {
        if (!Files.isExecutable(BINARY)) {
            fail("skopeo is required by this test but " + BINARY + " is missing: install it with `apt-get install -y skopeo`");
        }
        Files.createDirectories(workDir);
        Path policy = workDir.resolve("skopeo-policy.json");
        Files.writeString(policy, "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}");
        return new Skopeo(workDir, policy);
    }

    /** What one skopeo invocation did. */
    public record Result(List<String> command, int exitCode, byte[] stdoutBytes, String stderr) {

        public String stdout() {
            return new String(stdoutBytes, StandardCharsets.UTF_8);
        }

        public String describe() {
            return "$ " + String.join(" ", command) + "\nexit code: " + exitCode
                    + "\n--- stdout ---\n" + stdout() + "\n--- stderr ---\n" + stderr;
        }
    }

    /**
     * Runs {@code skopeo --policy <file> args…}; global options (such as {@code --override-arch}) go before the
     * command in {@code args}. Returns whatever the exit code.
     */
    public Result run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(BINARY.toString(), "--policy", policy.toString()));
        command.addAll(List.of(args));
        int run = runs.incrementAndGet();
        Path stdout = workDir.resolve("skopeo-" + run + ".out");
        Path stderr = workDir.resolve("skopeo-" + run + ".err");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
        // Where a non-root skopeo keeps its blob info cache (root uses /var/lib/containers/cache): one writable
        // cache shared by the runs of this test, so that skopeo remembers which repository holds which blob.
        builder.environment().put("XDG_DATA_HOME", workDir.resolve("xdg-data").toString());
        // Credentials come from a docker config.json, the same form as a Kubernetes pull secret.
        Path authFile = workDir.resolve("auth.json");
        if (Files.exists(authFile)) {
            builder.environment().put("REGISTRY_AUTH_FILE", authFile.toString());
        }
        Process process = builder.start();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            fail("skopeo did not finish within " + TIMEOUT_SECONDS + " s:\n"
                    + new Result(command, -1, Files.readAllBytes(stdout), Files.readString(stderr)).describe());
        }
        return new Result(command, process.exitValue(), Files.readAllBytes(stdout), Files.readString(stderr));
    }

    /** Runs with an explicit auth file instead of the shared one (e.g. an exported pull secret). */
    public Result okWithAuthFile(Path authFile, String... args) throws IOException, InterruptedException {
        Path shared = workDir.resolve("auth.json");
        Path saved = workDir.resolve("auth.json.saved");
        boolean had = Files.exists(shared);
        if (had) {
            Files.move(shared, saved, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        try {
            List<String> all = new ArrayList<>();
            all.add(args[0]);
            all.add("--authfile");
            all.add(authFile.toString());
            all.addAll(List.of(args).subList(1, args.length));
            return ok(all.toArray(String[]::new));
        } finally {
            if (had) {
                Files.move(saved, shared, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** Logs skopeo in to {@code host} as this user for every later run, through a docker config.json. */
    public void login(String host, String user, String password) throws IOException {
        String auth = java.util.Base64.getEncoder().encodeToString((user + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Files.writeString(workDir.resolve("auth.json"), "{\"auths\":{\"" + host + "\":{\"auth\":\"" + auth + "\"}}}");
    }

    /** Runs skopeo and fails with its full output unless it exits with 0. */
    public Result ok(String... args) throws IOException, InterruptedException {
        Result result = run(args);
        if (result.exitCode() != 0) {
            fail("skopeo failed:\n" + result.describe());
        }
        return result;
    }
}
