package io.cais.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.util.Map;

/** Points the blob store at the in-process S3 server, with a bucket per test application. */
public class S3TestResource implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        return Map.of(
                "cais.storage.type", "s3",
                "cais.storage.s3.endpoint", S3TestServer.endpoint(),
                "cais.storage.s3.access-key", S3TestServer.ACCESS_KEY,
                "cais.storage.s3.secret-key", S3TestServer.SECRET_KEY,
                "cais.storage.s3.bucket", "cais-test",
                "cais.storage.s3.create-bucket", "true");
    }

    @Override
    public void stop() {
    }
}
