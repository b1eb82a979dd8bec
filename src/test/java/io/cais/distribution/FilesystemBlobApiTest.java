package io.cais.distribution;

import io.quarkus.test.junit.QuarkusTest;

/** The blob API on the filesystem store (the embedded default). */
@QuarkusTest
class FilesystemBlobApiTest extends BlobApiContract {
}
