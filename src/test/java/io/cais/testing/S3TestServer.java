package io.cais.testing;

import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** A real S3 server (S3Proxy on a filesystem) started in-process, once per JVM, on an ephemeral port. */
public final class S3TestServer {

    public static final String ACCESS_KEY = "cais-test";
    public static final String SECRET_KEY = "cais-test-secret";

    private static S3Proxy proxy;

    private S3TestServer() {
    }

    public static synchronized String endpoint() {
        if (proxy == null) {
            try {
                Path dir = Files.createTempDirectory("cais-s3");
                Properties properties = new Properties();
                properties.setProperty("jclouds.provider", "filesystem");
                properties.setProperty("jclouds.identity", ACCESS_KEY);
                properties.setProperty("jclouds.credential", SECRET_KEY);
                properties.setProperty("jclouds.filesystem.basedir", dir.toString());
                S3Proxy started = S3Proxy.builder()
                        .blobStore(BlobStores.create("filesystem", properties))
                        .endpoint(URI.create("http://127.0.0.1:0"))
                        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                        .build();
                started.start();
                while (!"STARTED".equals(started.getState())) {
                    Thread.sleep(10);
                }
                proxy = started;
            } catch (Exception e) {
                throw new IllegalStateException("cannot start S3Proxy", e);
            }
        }
        return "http://127.0.0.1:" + proxy.getPort();
    }
}
