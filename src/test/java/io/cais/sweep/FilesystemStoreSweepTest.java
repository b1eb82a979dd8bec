package io.cais.sweep;

import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The sweep on the filesystem store (grace delay 24 h): objects are aged by their modification time. */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class FilesystemStoreSweepTest extends StoreSweepContract {

    private static final Path ROOT = Path.of("target/test-data/blobs");
    private static final FileTime TWO_DAYS_AGO = FileTime.from(Instant.now().minus(Duration.ofDays(2)));

    static Path blobFile(String digest) {
        String hex = digest.substring("sha256:".length());
        return ROOT.resolve("blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex);
    }

    static Path uploadFolder(String uploadId) {
        return ROOT.resolve("uploads").resolve(uploadId);
    }

    @Override
    void storeWithoutRow(String digest, byte[] content) throws Exception {
        Files.createDirectories(blobFile(digest).getParent());
        Files.write(blobFile(digest), content);
        makeBlobOld(digest);
    }

    @Override
    void makeBlobOld(String digest) throws Exception {
        Files.setLastModifiedTime(blobFile(digest), TWO_DAYS_AGO);
    }

    @Override
    void makeUploadOld(String uploadId) throws Exception {
        try (Stream<Path> files = Files.list(uploadFolder(uploadId))) {
            for (Path file : files.toList()) {
                Files.setLastModifiedTime(file, TWO_DAYS_AGO);
            }
        }
        Files.setLastModifiedTime(uploadFolder(uploadId), TWO_DAYS_AGO);
    }

    @Override
    boolean blobStored(String digest) {
        return Files.exists(blobFile(digest));
    }

    @Override
    boolean uploadStored(String uploadId) {
        return Files.exists(uploadFolder(uploadId));
    }

    @Test
    void aStrayBlobYoungerThanTheGraceDelayIsLeftForItsCommitToRecord() throws Exception {
        byte[] young = Blobs.random(300);
        String digest = Blobs.sha256(young);
        Files.createDirectories(blobFile(digest).getParent());
        Files.write(blobFile(digest), young);

        assertThat(sweep(false).getList("strayBlobs.items", String.class)).doesNotContain(digest);

        assertThat(blobFile(digest)).exists();
    }
}
