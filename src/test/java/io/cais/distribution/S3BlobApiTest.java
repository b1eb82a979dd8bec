package io.cais.distribution;

import io.cais.testing.S3Profile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;

/** The blob API on the S3 store, against a real S3 server (S3Proxy) over HTTP. */
@QuarkusTest
@TestProfile(S3Profile.class)
class S3BlobApiTest extends BlobApiContract {
}
