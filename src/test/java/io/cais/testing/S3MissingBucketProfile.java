package io.cais.testing;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.HashMap;
import java.util.Map;

/** The S3 blob store pointed at a bucket that does not exist (and is not created): a store that is not ready. */
public class S3MissingBucketProfile implements QuarkusTestProfile {

    public static final String BUCKET = "no-such-bucket";

    @Override
    public Map<String, String> getConfigOverrides() {
        Map<String, String> config = new HashMap<>(S3TestResource.config(BUCKET, false));
        // The probe's answer is what the test reads: a first S3 call on a loaded machine may take longer than 5 s.
        config.put("cais.health.store-timeout", "PT30S");
        return config;
    }
}
