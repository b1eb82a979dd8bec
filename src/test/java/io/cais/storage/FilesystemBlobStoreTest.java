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
