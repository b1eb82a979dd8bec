package io.cais.testing;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/** The S3 blob store pointed at a bucket that does not exist (and is not created): a store that is not ready. */
public class S3MissingBucketProfile implements QuarkusTestProfile {

    public static final String BUCKET = "no-such-bucket";

    @Override
    public Map<String, String> getConfigOverrides() {
        return S3TestResource.config(BUCKET, false);
    }
}
