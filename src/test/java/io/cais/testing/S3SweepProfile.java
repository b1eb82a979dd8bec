package io.cais.testing;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The S3 store on a bucket of its own, with the sweep's grace delay at 0 and uploads expiring after a second (no
 * scheduler: tests sweep on demand, and no janitor deletes their uploads), and small limits: 5 MiB parts, at most 2
 * parts per blob and 1 part buffered at once.
 */
public class S3SweepProfile implements QuarkusTestProfile {

    public static final String BUCKET = "cais-sweep-test";

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> config = new HashMap<>(S3TestResource.config(BUCKET, true));
        config.put("cais.sweep.grace-delay", "PT0S");
        config.put("cais.upload.expiry", "PT1S");
        config.put("quarkus.scheduler.enabled", "false");
        config.put("cais.storage.s3.part-size", "5242880");
        config.put("cais.storage.s3.max-parts", "2");
        config.put("cais.storage.s3.max-buffered-parts", "1");
        return config;
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(PostgresTestResource.class));
    }
}
