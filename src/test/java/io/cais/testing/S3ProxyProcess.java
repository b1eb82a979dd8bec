package io.cais.testing;

import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A real S3 server (S3Proxy on a filesystem) in a process of its own, so that a test can freeze it (SIGSTOP) or
 * kill it and start it again on the same port and data — what the in-process {@link S3TestServer} cannot do.
 * It runs from the test class path (S3Proxy is a test dependency) with {@link #main} as its entry point.
 */
public final class S3ProxyProcess implements AutoCloseable {

    private final Path dir;
    private final int port;
    private Process process;

    private S3ProxyProcess(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    public static S3ProxyProcess start(Path dir) throws Exception {
        S3ProxyProcess s3 = new S3ProxyProcess(dir, RegistryProcess.freePort());
        s3.start();
        return s3;
    }

    /** Starts (again) on the same port and data. */
    public void start() throws Exception {
        Files.createDirectories(dir.resolve("data"));
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), S3ProxyProcess.class.getName(),
                dir.resolve("data").toString(), String.valueOf(port));
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("s3proxy.log").toFile())).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("S3Proxy exited:\n" + Files.readString(dir.resolve("s3proxy.log")));
            }
            try (Socket probe = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("S3Proxy did not listen within 30 s");
    }

    public long pid() {
        return process.pid();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** The registry's configuration for this server, with a bucket created at start. */
    public Map<String, String> registryConfig(String bucket) {
        Map<String, String> config = new HashMap<>();
        config.put("cais.storage.type", "s3");
        config.put("cais.storage.s3.endpoint", endpoint());
        config.put("cais.storage.s3.access-key", S3TestServer.ACCESS_KEY);
        config.put("cais.storage.s3.secret-key", S3TestServer.SECRET_KEY);
        config.put("cais.storage.s3.bucket", bucket);
        config.put("cais.storage.s3.create-bucket", "true");
        return config;
    }

    /** SIGKILL: the store is gone at once, mid-request if one is running. */
    public void kill() throws Exception {
        process.destroyForcibly().waitFor();
    }

    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            Signals.thaw(process.pid());
            kill();
        }
    }

    /** The server process: {@code <data dir> <port>}. */
    public static void main(String[] args) throws Exception {
        Properties properties = new Properties();
        properties.setProperty("jclouds.provider", "filesystem");
        properties.setProperty("jclouds.identity", S3TestServer.ACCESS_KEY);
        properties.setProperty("jclouds.credential", S3TestServer.SECRET_KEY);
        properties.setProperty("jclouds.filesystem.basedir", args[0]);
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(BlobStores.create("filesystem", properties))
                .endpoint(URI.create("http://127.0.0.1:" + args[1]))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, S3TestServer.ACCESS_KEY, S3TestServer.SECRET_KEY)
                .build();
        proxy.start();
        Thread.currentThread().join();
    }
}
