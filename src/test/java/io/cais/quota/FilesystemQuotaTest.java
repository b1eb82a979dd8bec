package io.cais.quota;

import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Files;
import java.nio.file.Path;

/** Quotas on the filesystem store (the embedded default): a refused blob leaves no file. */
@QuarkusTest
class FilesystemQuotaTest extends QuotaContract {

    @ConfigProperty(name = "cais.storage.filesystem.root")
    Path root;

    @Override
    boolean stored(String digest) {
        String hex = digest.substring("sha256:".length());
        return Files.exists(root.resolve("blobs/sha256/" + hex.substring(0, 2) + "/" + hex));
    }
}
