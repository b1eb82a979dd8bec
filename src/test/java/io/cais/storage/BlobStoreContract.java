package io.cais.storage;

import io.cais.content.Digest;
import io.cais.testing.Blobs;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** What every {@link BlobStore} must do; run against each implementation by the subclasses. */
abstract class BlobStoreContract {

    static final int MIB = 1024 * 1024;

    abstract BlobStore store();

    /** Size of the blob as the store keeps it, or empty when there is none: read past the store's interface. */
    abstract OptionalLong storedSize(Digest digest) throws IOException;

    @Test
    void aBlobIsInvisibleUntilCommitted() throws IOException {
        byte[] content = Blobs.random(10_000);
        Digest digest = Digest.parse(Blobs.sha256(content));
        String upload = UUID.randomUUID().toString();

        BlobStore.Appended appended = store().append(upload, UploadLayout.empty(), new ByteArrayInputStream(content));
        assertThat(appended.bytes()).isEqualTo(content.length);
        assertThat(storedSize(digest)).isEmpty();

        store().commit(upload, appended.layout(), digest);
        assertThat(storedSize(digest)).hasValue(content.length);
        assertThat(read(digest, 0, content.length)).isEqualTo(content);
    }

    @Test
    void appendsOfAnySizeJoinInOrder() throws IOException {
        byte[] content = Blobs.random(MIB * 9 + 17);
        int[] cuts = {0, 1, 2, MIB, MIB + 1, 8 * MIB + 3, content.length};
        String upload = UUID.randomUUID().toString();
        UploadLayout layout = UploadLayout.empty();
        for (int i = 0; i + 1 < cuts.length; i++) {
            BlobStore.Appended appended = store().append(upload, layout,
                    new ByteArrayInputStream(Blobs.slice(content, cuts[i], cuts[i + 1])));
            assertThat(appended.bytes()).isEqualTo(cuts[i + 1] - cuts[i]);
            assertThat(appended.layout().size()).isEqualTo(cuts[i + 1]);
            store().discard(upload, appended.replaced());
            layout = appended.layout();
        }
        try (InputStream in = store().openUpload(upload, layout)) {
            assertThat(in.readAllBytes()).isEqualTo(content);
        }
        Digest digest = Digest.parse(Blobs.sha256(content));
        store().commit(upload, layout, digest);
        store().discard(upload, layout.segments());
        assertThat(read(digest, 0, content.length)).isEqualTo(content);
    }

    @Test
    void anEmptyAppendChangesNothing() throws IOException {
        String upload = UUID.randomUUID().toString();
        BlobStore.Appended first = store().append(upload, UploadLayout.empty(), new ByteArrayInputStream(new byte[] {1, 2}));
        BlobStore.Appended empty = store().append(upload, first.layout(), InputStream.nullInputStream());
        assertThat(empty.bytes()).isZero();
        assertThat(empty.layout()).isEqualTo(first.layout());
        assertThat(empty.replaced()).isEmpty();
    }

    @Test
    void rangesReadTheRightBytes() throws IOException {
        byte[] content = Blobs.random(5000);
        Digest digest = commit(content);
        assertThat(read(digest, 1000, 10)).isEqualTo(Blobs.slice(content, 1000, 1010));
        assertThat(read(digest, 4999, 1)).isEqualTo(Blobs.slice(content, 4999, 5000));
    }

    @Test
    void committingAnExistingBlobAgainIsANoOp() throws IOException {
        byte[] content = Blobs.random(300);
        Digest digest = commit(content);
        commit(content);
        assertThat(storedSize(digest)).hasValue(300);
        assertThat(read(digest, 0, 300)).isEqualTo(content);
    }

    @Test
    void aDeletedBlobIsGoneAndDeletingItAgainIsNoError() throws IOException {
        byte[] content = Blobs.random(300);
        Digest digest = commit(content);
        store().delete(digest);
        assertThat(storedSize(digest)).isEmpty();
        store().delete(digest);
        assertThat(storedSize(commit(content))).as("stored again after its deletion").hasValue(300);
    }

    @Test
    void theEmptyBlobCanBeCommitted() throws IOException {
        Digest digest = commit(new byte[0]);
        assertThat(storedSize(digest)).hasValue(0);
    }

    @Test
    void discardedSegmentsAreGone() throws IOException {
        String upload = UUID.randomUUID().toString();
        BlobStore.Appended appended = store().append(upload, UploadLayout.empty(), new ByteArrayInputStream(Blobs.random(100)));
        store().discard(upload, appended.layout().segments());
        store().discard(upload, appended.layout().segments());
        assertThat(appended.layout().segments()).hasSize(1);
    }

    @Test
    void discardUploadDeletesEverySegmentOfTheUpload() throws IOException {
        String upload = UUID.randomUUID().toString();
        BlobStore.Appended first = store().append(upload, UploadLayout.empty(), new ByteArrayInputStream(Blobs.random(100)));
        BlobStore.Appended second = store().append(upload, first.layout(), new ByteArrayInputStream(Blobs.random(100)));
        store().discardUpload(upload);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
            try (InputStream in = store().openUpload(upload, second.layout())) {
                in.readAllBytes();
            }
        }).isInstanceOfAny(IOException.class, java.io.UncheckedIOException.class);
        store().discardUpload(upload);
    }

    @Test
    void aRevertedAppendLeavesTheRecordedBytesForTheNextOne() throws IOException {
        byte[] recorded = Blobs.random(MIB + 5);
        byte[] next = Blobs.random(1000);
        String upload = UUID.randomUUID().toString();
        BlobStore.Appended first = store().append(upload, UploadLayout.empty(), new ByteArrayInputStream(recorded));
        BlobStore.Appended unrecorded = store().append(upload, first.layout(), new ByteArrayInputStream(Blobs.random(777)));

        store().revert(upload, first.layout(), unrecorded);

        assertUpload(upload, appendAndDiscard(upload, first.layout(), next), recorded, next);
    }

    @Test
    void anAppendWhoseStreamFailsLeavesTheRecordedBytes() throws IOException {
        byte[] recorded = Blobs.random(4000);
        byte[] next = Blobs.random(3000);
        String upload = UUID.randomUUID().toString();
        BlobStore.Appended first = store().append(upload, UploadLayout.empty(), new ByteArrayInputStream(recorded));
        InputStream breaking = new java.io.SequenceInputStream(new ByteArrayInputStream(Blobs.random(2 * MIB)), new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("client went away");
            }
        });

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> store().append(upload, first.layout(), breaking))
                .isInstanceOfAny(IOException.class, java.io.UncheckedIOException.class);

        assertUpload(upload, appendAndDiscard(upload, first.layout(), next), recorded, next);
    }

    @Test
    void ofTwoAppendsFromOneLayoutTheLoserIsRefusedOrRevertedWithoutHarm() throws IOException {
        byte[] recorded = Blobs.random(2000);
        byte[] winner = Blobs.random(1500);
        String upload = UUID.randomUUID().toString();
        BlobStore.Appended first = store().append(upload, UploadLayout.empty(), new ByteArrayInputStream(recorded));
        BlobStore.Appended won = store().append(upload, first.layout(), new ByteArrayInputStream(winner));

        try {
            BlobStore.Appended lost = store().append(upload, first.layout(), new ByteArrayInputStream(Blobs.random(1500)));
            store().revert(upload, first.layout(), lost);
        } catch (UploadConflictException refused) {
            // the store noticed the race before writing anything
        }

        store().discard(upload, won.replaced());
        assertUpload(upload, won.layout(), recorded, winner);
    }

    @Test
    void listingsNameCommittedBlobsAndUploadsWithTheirSizeAndAge() throws IOException {
        java.time.Instant before = java.time.Instant.now().minusSeconds(5);
        byte[] content = Blobs.random(1234);
        Digest digest = commit(content);
        String upload = UUID.randomUUID().toString();
        store().append(upload, UploadLayout.empty(), new ByteArrayInputStream(Blobs.random(300)));

        List<BlobStore.StoredBlob> blobs = new java.util.ArrayList<>();
        store().listBlobs(blobs::add);
        List<BlobStore.StoredUpload> uploads = new java.util.ArrayList<>();
        store().listUploads(uploads::add);

        assertThat(blobs).filteredOn(blob -> blob.digest().equals(digest)).singleElement()
                .satisfies(blob -> {
                    assertThat(blob.size()).isEqualTo(1234);
                    assertThat(blob.lastModified()).isAfter(before);
                });
        assertThat(uploads).filteredOn(stored -> stored.uploadId().equals(upload)).singleElement()
                .satisfies(stored -> {
                    assertThat(stored.bytes()).isEqualTo(300);
                    assertThat(stored.lastModified()).isAfter(before);
                });
    }

    @Test
    void probeSucceedsOnAWorkingStore() throws IOException {
        store().probe();
    }

    UploadLayout appendAndDiscard(String upload, UploadLayout layout, byte[] content) throws IOException {
        BlobStore.Appended appended = store().append(upload, layout, new ByteArrayInputStream(content));
        store().discard(upload, appended.replaced());
        return appended.layout();
    }

    /** The upload holds exactly these parts, in order, and commits to a blob of them. */
    void assertUpload(String upload, UploadLayout layout, byte[]... parts) throws IOException {
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            expected.write(part);
        }
        try (InputStream in = store().openUpload(upload, layout)) {
            assertThat(in.readAllBytes()).isEqualTo(expected.toByteArray());
        }
        Digest digest = Digest.parse(Blobs.sha256(expected.toByteArray()));
        store().commit(upload, layout, digest);
        assertThat(read(digest, 0, expected.size())).isEqualTo(expected.toByteArray());
    }

    Digest commit(byte[] content) throws IOException {
        Digest digest = Digest.parse(Blobs.sha256(content));
        String upload = UUID.randomUUID().toString();
        BlobStore.Appended appended = store().append(upload, UploadLayout.empty(), new ByteArrayInputStream(content));
        store().commit(upload, appended.layout(), digest);
        store().discard(upload, appended.layout().segments());
        return digest;
    }

    byte[] read(Digest digest, long offset, long length) throws IOException {
        BlobContent content = store().read(digest, offset, length);
        assertThat(content.length()).isEqualTo(length);
        return switch (content) {
            case BlobContent.Stream stream -> {
                try (InputStream in = stream.stream()) {
                    yield in.readAllBytes();
                }
            }
            case BlobContent.FileRegion file -> {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (var channel = java.nio.channels.FileChannel.open(file.path())) {
                    channel.transferTo(file.offset(), file.length(), java.nio.channels.Channels.newChannel(out));
                }
                yield out.toByteArray();
            }
        };
    }

    static List<String> names(UploadLayout layout) {
        return layout.segments().stream().map(UploadLayout.Segment::name).toList();
    }
}
