package io.cais.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/** Points the blob store at the in-process S3 server, with a bucket per test application. */
public class S3TestResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        return config("cais-test", true);
    }

    /** The S3 store on the in-process server, using {@code bucket} (created at start when {@code create}). */
    public static Map<String, String> config(String bucket, boolean create) {
        return Map.of(
                "cais.storage.type", "s3",
                "cais.storage.s3.endpoint", S3TestServer.endpoint(),
                "cais.storage.s3.access-key", S3TestServer.ACCESS_KEY,
                "cais.storage.s3.secret-key", S3TestServer.SECRET_KEY,
                "cais.storage.s3.bucket", bucket,
                "cais.storage.s3.create-bucket", String.valueOf(create));
    }

    @Override
    public void stop() {
    }
}
