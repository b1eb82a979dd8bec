package io.cais.testing;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.List;
import java.util.Map;

/** The S3 blob store with presigned redirects for blob downloads. */
public class S3RedirectProfile implements QuarkusTestProfile {

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("cais.storage.s3.redirect", "true", "cais.storage.s3.redirect-expiry", "PT2M");
    }

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(S3TestResource.class));
    }
}
