package io.cais.quota;

import io.cais.content.Digest;
import io.cais.storage.BlobContent;
import io.cais.storage.BlobStore;
import io.cais.testing.S3Profile;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;

import java.io.IOException;
import java.io.InputStream;

/** Quotas on the S3 store, against a real S3 server (S3Proxy): a refused blob leaves no object in the bucket. */
@QuarkusTest
@TestProfile(S3Profile.class)
class S3QuotaTest extends QuotaContract {

    @Inject
    BlobStore store;

    @Override
    boolean stored(String digest) {
        // A ranged GET of the object's first byte: S3 answers NoSuchKey for an object that is not there.
        try (InputStream in = ((BlobContent.Stream) store.read(Digest.parse(digest), 0, 1)).stream()) {
            return in.read() >= 0;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}
