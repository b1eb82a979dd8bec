package io.cais.testing;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * CNCF Distribution ({@code docker-registry}, Debian's package) as the upstream of Cais's pull-through cache: its own
 * process on a loopback port, htpasswd auth on, and its access log, in which a test counts the requests Cais made.
 * It can be stopped and started again on the same port and storage (an upstream outage).
 */
public final class UpstreamRegistry implements AutoCloseable {

    public static final String USER = "upstream-user";
    public static final String PASSWORD = "upstream-password";
    /** The access log's request line and status: {@code "GET /v2/… HTTP/1.1" 200}. */
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Pattern ACCESS = Pattern.compile("\"(GET|HEAD) (\\S+) HTTP/[0-9.]+\" (\\d{3}) ");

    private final Path binary;
    private final Path dir;
    private final int port;
    private Process process;
    private int starts;

    private UpstreamRegistry(Path binary, Path dir, int port) {
        this.binary = binary;
        this.dir = dir;
        this.port = port;
    }

    /** Fails (never skips) when docker-registry is not installed. */
    public static UpstreamRegistry start(Path dir) throws Exception {
        Path binary = Commands.require("docker-registry", "install it with `apt-get install -y docker-registry`");
        Path htpasswdBinary = Commands.require("htpasswd", "install it with `apt-get install -y apache2-utils`");
        Files.createDirectories(dir);
        Process htpasswd = new ProcessBuilder(htpasswdBinary.toString(), "-Bbn", USER, PASSWORD).redirectErrorStream(false).start();
        String line = new String(htpasswd.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!htpasswd.waitFor(30, TimeUnit.SECONDS) || htpasswd.exitValue() != 0 || line.isEmpty()) {
            fail("htpasswd (apache2-utils) could not make the upstream's password file");
        }
        Files.writeString(dir.resolve("htpasswd"), line + "\n");
        int port = RegistryProcess.freePort();
        Files.writeString(dir.resolve("config.yml"), String.join("\n",
                "version: 0.1",
                "log:",
                "  level: info",
                "  accesslog:",
                "    disabled: false",
                "storage:",
                "  filesystem:",
                "    rootdirectory: " + dir.resolve("storage"),
                "  delete:",
                "    enabled: true",
                "http:",
                "  addr: 127.0.0.1:" + port,
                "auth:",
                "  htpasswd:",
                "    realm: upstream",
                "    path: " + dir.resolve("htpasswd"),
                ""));
        UpstreamRegistry registry = new UpstreamRegistry(binary, dir, port);
        registry.startAgain();
        return registry;
    }

    /** Starts the process (again), on the same port and storage. */
    public void startAgain() throws Exception {
        Path log = dir.resolve("registry-" + (++starts) + ".log");
        process = new ProcessBuilder(binary.toString(), "serve", dir.resolve("config.yml").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        HttpClient client = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("docker-registry exited:\n" + Files.readString(log));
            }
            try {
                client.send(HttpRequest.newBuilder(URI.create(url() + "/v2/")).build(), HttpResponse.BodyHandlers.discarding());
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("docker-registry did not start:\n" + Files.readString(log));
    }

    /** Stops the process: the upstream is unreachable until {@link #startAgain}. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public String host() {
        return "127.0.0.1:" + port;
    }

    public String credentials() {
        return USER + ":" + PASSWORD;
    }

    public String basic() {
        return "Basic " + Base64.getEncoder().encodeToString(credentials().getBytes(StandardCharsets.UTF_8));
    }

    /** Pushes the image's blobs (each one monolithic upload) and its manifest under {@code tag}, over plain HTTP. */
    public void push(String repository, String tag, OciLayouts.Image image) throws IOException, InterruptedException {
        for (OciLayouts.Blob blob : image.blobs()) {
            if (blob == image.manifest()) {
                continue;
            }
            HttpResponse<Void> started = send(HttpRequest.newBuilder(URI.create(url() + "/v2/" + repository + "/blobs/uploads/"))
                    .POST(HttpRequest.BodyPublishers.noBody()));
            URI location = URI.create(url()).resolve(started.headers().firstValue("Location").orElseThrow());
            String separator = location.getQuery() == null ? "?" : "&";
            expect(201, send(HttpRequest.newBuilder(URI.create(location + separator + "digest=" + blob.digest()))
                    .header("Content-Type", "application/octet-stream").PUT(HttpRequest.BodyPublishers.ofByteArray(blob.bytes()))));
        }
        tag(repository, tag, image.manifest());
    }

    /** Puts the manifest under {@code tag} (its blobs must be there): a new tag, or a tag moved. */
    public void tag(String repository, String tag, OciLayouts.Blob manifest) throws IOException, InterruptedException {
        expect(201, send(HttpRequest.newBuilder(URI.create(url() + "/v2/" + repository + "/manifests/" + tag))
                .header("Content-Type", manifest.mediaType()).PUT(HttpRequest.BodyPublishers.ofByteArray(manifest.bytes()))));
    }

    private HttpResponse<Void> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return HTTP.send(request.header("Authorization", basic()).build(), HttpResponse.BodyHandlers.discarding());
    }

    private static void expect(int status, HttpResponse<Void> response) {
        if (response.statusCode() != status) {
            fail(response.request().method() + " " + response.uri() + " answered " + response.statusCode());
        }
    }

    /** How many requests of this method for exactly this path the upstream answered with this status, over all its runs. */
    public long answered(String method, String path, int status) throws IOException {
        long count = 0;
        for (int run = 1; run <= starts; run++) {
            List<String> lines = Files.readAllLines(dir.resolve("registry-" + run + ".log"));
            for (String line : lines) {
                Matcher m = ACCESS.matcher(line);
                if (m.find() && m.group(1).equals(method) && m.group(2).equals(path) && Integer.parseInt(m.group(3)) == status) {
                    count++;
                }
            }
        }
        return count;
    }

    /** The body of Cais's {@code POST /api/v1/upstreams} that makes this registry, with its credentials, an upstream. */
    public byte[] asUpstream(String name, String namespace) {
        return ("{\"name\":\"" + name + "\",\"url\":\"" + url() + "\",\"namespace\":\"" + namespace
                + "\",\"username\":\"" + USER + "\",\"password\":\"" + PASSWORD + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A new linux/amd64 image of {@code layers} layers, copied by skopeo (as the upstream's user, from a layout written
     * under {@code work}) to the upstream's {@code repository:tag}.
     */
    public OciLayouts.Image push(Skopeo skopeo, Path work, String repository, String tag, int layers) throws Exception {
        OciLayouts.Image image = OciLayouts.image("amd64", layers);
        copy(skopeo, OciLayouts.write(work.resolve("src-" + UUID.randomUUID()), tag, image), repository, tag, false);
        return image;
    }

    /** The index with every platform, copied by skopeo to the upstream's {@code repository:tag}. */
    public void push(Skopeo skopeo, Path work, String repository, String tag, OciLayouts.Index index) throws Exception {
        copy(skopeo, OciLayouts.write(work.resolve("src-" + UUID.randomUUID()), tag, index), repository, tag, true);
    }

    /** Uploads a blob to the upstream's repository (monolithic: {@code POST}, then {@code PUT ?digest=}), as its user. */
    public void upload(String repository, String digest, HttpRequest.BodyPublisher body) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<Void> started = http.send(HttpRequest.newBuilder(URI.create(url() + "/v2/" + repository
                        + "/blobs/uploads/")).header("Authorization", basic())
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
        assertEquals(202, started.statusCode(), "upload start");
        URI location = URI.create(url()).resolve(started.headers().firstValue("Location").orElseThrow());
        String separator = location.getQuery() == null ? "?" : "&";
        HttpResponse<byte[]> done = http.send(HttpRequest.newBuilder(URI.create(location + separator + "digest="
                        + URLEncoder.encode(digest, StandardCharsets.UTF_8))).header("Authorization", basic())
                .header("Content-Type", "application/octet-stream").PUT(body).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(201, done.statusCode(), new String(done.body(), StandardCharsets.UTF_8));
    }

    private void copy(Skopeo skopeo, Path layout, String repository, String tag, boolean all) throws Exception {
        String source = "oci:" + layout + ":" + tag;
        String destination = "docker://" + host() + "/" + repository + ":" + tag;
        String credentials = credentials();
        if (all) {
            skopeo.ok("copy", "--all", "--dest-tls-verify=false", "--dest-creds", credentials, source, destination);
        } else {
            skopeo.ok("copy", "--dest-tls-verify=false", "--dest-creds", credentials, source, destination);
        }
    }

    @Override
    public void close() throws Exception {
        stop();
    }
}
