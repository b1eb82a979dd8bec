package io.cais.testing;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.List;

/** Runs a test class against the S3 blob store instead of the filesystem one. */
public class S3Profile implements QuarkusTestProfile {

    @Override
    public List<TestResourceEntry> testResources() {
        return List.of(new TestResourceEntry(S3TestResource.class));
    }
}
