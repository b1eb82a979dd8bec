package io.cais.storage;

import io.cais.content.Digest;
import io.cais.testing.Blobs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The filesystem store: the contract, and how chunks extend one file per upload. */
class FilesystemBlobStoreTest extends BlobStoreContract {

    @TempDir
    Path root;

    private FilesystemBlobStore store;

    @BeforeEach
    void open() throws IOException {
        store = new FilesystemBlobStore(root);
    }

    @Override
    BlobStore store() {
        return store;
    }

    @Override
    OptionalLong storedSize(Digest digest) throws IOException {
        Path blob = store.blobPath(digest);
        return Files.exists(blob) ? OptionalLong.of(Files.size(blob)) : OptionalLong.empty();
    }

    @Test
    void chunksExtendOneFileSoThatCommitIsARenameNotACopy() throws IOException {
        String upload = UUID.randomUUID().toString();
        byte[][] chunks = {Blobs.random(100), Blobs.random(MIB), Blobs.random(7)};
        UploadLayout layout = UploadLayout.empty();
        for (byte[] chunk : chunks) {
            layout = appendAndDiscard(upload, layout, chunk);
            assertThat(layout.segments()).hasSize(1);
        }
        assertThat(layout.size()).isEqualTo(100 + MIB + 7);
        assertUpload(upload, layout, chunks);
    }

    @Test
    void anAppendToAnUploadFileShorterThanItsRecordedLengthIsRefusedRatherThanLeavingAHole() throws IOException {
        String upload = UUID.randomUUID().toString();
        UploadLayout recorded = appendAndDiscard(upload, UploadLayout.empty(), Blobs.random(1000));
        Path file = root.resolve("uploads").resolve(upload).resolve(recorded.segments().getFirst().name());
        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            channel.truncate(600); // a crash or an operator cut the file
        }

        assertThatThrownBy(() -> store.append(upload, recorded, new ByteArrayInputStream(Blobs.random(10))))
                .isInstanceOfSatisfying(UploadDamagedException.class, e -> {
                    assertThat(e.recorded()).isEqualTo(1000);
                    assertThat(e.stored()).isEqualTo(600);
                });
        assertThat(file).hasSize(600); // left as it was, under its recorded name
        assertThatThrownBy(() -> store.commit(upload, recorded, Digest.parse(Blobs.sha256(Blobs.random(1)))))
                .isInstanceOf(UploadDamagedException.class);
    }

    @Test
    void aCommittedBlobIsNewForTheSweepEvenWhenItsUploadIsOld() throws IOException {
        String upload = UUID.randomUUID().toString();
        byte[] content = Blobs.random(100);
        UploadLayout layout = appendAndDiscard(upload, UploadLayout.empty(), content);
        Path file = root.resolve("uploads").resolve(upload).resolve(layout.segments().getFirst().name());
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(java.time.Instant.now().minusSeconds(86_400 * 3)));
        Digest digest = Digest.parse(Blobs.sha256(content));

        store.commit(upload, layout, digest);

        assertThat(Files.getLastModifiedTime(store.blobPath(digest)).toInstant())
                .isAfter(java.time.Instant.now().minusSeconds(60));
    }

    @Test
    void anAppendFromALayoutAnotherRequestExtendedIsRefusedBeforeWriting() throws IOException {
        String upload = UUID.randomUUID().toString();
        byte[] recorded = Blobs.random(10);
        byte[] winner = Blobs.random(20);
        UploadLayout first = appendAndDiscard(upload, UploadLayout.empty(), recorded);
        UploadLayout won = appendAndDiscard(upload, first, winner);

        assertThatThrownBy(() -> store.append(upload, first, new ByteArrayInputStream(Blobs.random(30))))
                .isInstanceOf(UploadConflictException.class);

        assertUpload(upload, won, recorded, winner);
    }
}
