package io.cais.storage;

import io.cais.content.Digest;

import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Blobs as files under a root directory. A blob appears by an atomic rename of a complete, synced file,
 * so readers never see a partial blob. Uploads and blobs share the root, hence one filesystem for the rename.
 * A rename or a new directory is durable only once its parent directory is synced, so both are followed by an
 * {@code fsync} of the parent: a blob whose row is committed survives a power loss.
 */
public final class FilesystemBlobStore implements BlobStore {

    private static final int BUFFER_SIZE = 256 * 1024;

    private final Path root;

    public FilesystemBlobStore(Path root) throws IOException {
        this.root = root.toAbsolutePath();
        Files.createDirectories(this.root.resolve("blobs"));
        Files.createDirectories(this.root.resolve("uploads"));
    }

    Path blobPath(Digest digest) {
        return root.resolve(BlobKeys.blob(digest));
    }

    private Path segmentPath(String uploadId, String name) {
        return root.resolve(BlobKeys.uploadFolder(uploadId)).resolve(name);
    }

    @Override
    public BlobContent read(Digest digest, long offset, long length) {
        return new BlobContent.FileRegion(blobPath(digest), offset, length);
    }

    @Override
    public Optional<URI> redirect(Digest digest) {
        return Optional.empty();
    }

    /**
     * The first chunk of an upload becomes its one segment file; later chunks extend that file, so a chunked
     * upload is published by a rename, like a monolithic one, instead of a copy of every byte. To extend it, a
     * writer first renames the file to a new name: of two requests racing from the same layout only one can, and
     * the other gets an {@link UploadConflictException} without writing. Until the caller records the new name,
     * the previous length stays intact below what is written; {@link #revert} truncates back and renames back.
     */
    @Override
    public Appended append(String uploadId, UploadLayout layout, InputStream data) throws IOException {
        if (layout.segments().isEmpty()) {
            return appendFirst(uploadId, data);
        }
        int lastIndex = layout.segments().size() - 1;
        UploadLayout.Segment last = layout.segments().get(lastIndex);
        String claimed = BlobKeys.newSegmentName(lastIndex);
        Path from = segmentPath(uploadId, last.name());
        Path to = segmentPath(uploadId, claimed);
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            throw new UploadConflictException("upload " + uploadId + " was extended or published by another request");
        }
        long written;
        try (FileChannel channel = FileChannel.open(to, StandardOpenOption.WRITE)) {
            if (channel.size() < last.size()) {
                // Writing at the recorded offset would leave a hole of zeros inside the blob: refuse instead.
                throw new UploadDamagedException(uploadId, last.size(), channel.size());
            }
            channel.truncate(last.size()); // bytes of a writer that died before recording them
            channel.position(last.size());
            written = copy(data, channel);
        } catch (IOException | RuntimeException e) {
            restore(to, from, last.size());
            throw e;
        }
        if (written == 0) {
            restore(to, from, last.size());
            return new Appended(layout, List.of(), 0);
        }
        List<UploadLayout.Segment> segments = new java.util.ArrayList<>(layout.segments());
        segments.set(lastIndex, new UploadLayout.Segment(claimed, last.size() + written));
        return new Appended(new UploadLayout(List.copyOf(segments)), List.of(), written);
    }

    private Appended appendFirst(String uploadId, InputStream data) throws IOException {
        String name = BlobKeys.newSegmentName(0);
        Path file = segmentPath(uploadId, name);
        createDirectoriesDurably(file.getParent());
        long written;
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            written = copy(data, channel);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        if (written == 0) {
            Files.delete(file);
            return new Appended(UploadLayout.empty(), List.of(), 0);
        }
        return new Appended(new UploadLayout(List.of(new UploadLayout.Segment(name, written))), List.of(), written);
    }

    private static long copy(InputStream data, FileChannel channel) throws IOException {
        byte[] buffer = new byte[BUFFER_SIZE];
        ByteBuffer wrapper = ByteBuffer.wrap(buffer);
        long written = 0;
        int n;
        while ((n = data.read(buffer)) >= 0) {
            wrapper.clear().limit(n);
            while (wrapper.hasRemaining()) {
                channel.write(wrapper);
            }
            written += n;
        }
        return written;
    }

    @Override
    public void revert(String uploadId, UploadLayout before, Appended appended) throws IOException {
        if (before.segments().isEmpty()) {
            discard(uploadId, appended.layout().segments());
            return;
        }
        UploadLayout.Segment last = before.segments().getLast();
        UploadLayout.Segment grown = appended.layout().segments().getLast();
        if (!grown.name().equals(last.name())) {
            restore(segmentPath(uploadId, grown.name()), segmentPath(uploadId, last.name()), last.size());
        }
    }

    /** Cuts an extended segment back to its recorded length (never longer) and gives it back its recorded name. */
    private static void restore(Path extended, Path recorded, long size) throws IOException {
        try (FileChannel channel = FileChannel.open(extended, StandardOpenOption.WRITE)) {
            if (channel.size() > size) {
                channel.truncate(size);
            }
        }
        Files.move(extended, recorded, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public InputStream openUpload(String uploadId, UploadLayout layout) {
        return new SequenceInputStream(Collections.enumeration(
                layout.segments().stream().map(s -> (InputStream) new LazyFileStream(segmentPath(uploadId, s.name()))).toList()));
    }

    @Override
    public void commit(String uploadId, UploadLayout layout, Digest digest) throws IOException {
        Path target = blobPath(digest);
        if (Files.exists(target)) {
            return;
        }
        createDirectoriesDurably(target.getParent());
        Path assembled;
        if (layout.segments().size() == 1) {
            UploadLayout.Segment segment = layout.segments().getFirst();
            assembled = segmentPath(uploadId, segment.name());
            try (FileChannel channel = FileChannel.open(assembled, StandardOpenOption.WRITE)) {
                if (channel.size() < segment.size()) {
                    throw new UploadDamagedException(uploadId, segment.size(), channel.size());
                }
                channel.truncate(segment.size());
                channel.force(false);
            } catch (NoSuchFileException e) {
                throw new UploadConflictException("upload " + uploadId + " is being extended by another request");
            }
        } else {
            assembled = segmentPath(uploadId, "commit-" + UUID.randomUUID());
            Files.createDirectories(assembled.getParent());
            try (FileChannel out = FileChannel.open(assembled, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                for (UploadLayout.Segment segment : layout.segments()) {
                    try (FileChannel in = FileChannel.open(segmentPath(uploadId, segment.name()), StandardOpenOption.READ)) {
                        if (in.size() < segment.size()) {
                            throw new UploadDamagedException(uploadId, segment.size(), in.size());
                        }
                        long position = 0;
                        while (position < segment.size()) {
                            position += in.transferTo(position, segment.size() - position, out);
                        }
                    }
                }
                out.force(false);
            }
        }
        // A rename keeps the upload's modification time, which may be old: the sweep must see a new blob as new.
        Files.setLastModifiedTime(assembled, FileTime.from(Instant.now()));
        try {
            Files.move(assembled, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
            throw new UploadConflictException("upload " + uploadId + " is being extended by another request");
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("blob root must be one filesystem: " + root, e);
        }
        syncDirectory(target.getParent());
    }

    /** Creates the missing directories of {@code dir}, syncing the parent of each one it creates. */
    private static void createDirectoriesDurably(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        createDirectoriesDurably(dir.getParent());
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            return; // created by a concurrent request, which syncs the parent itself
        }
        syncDirectory(dir.getParent());
    }

    /** Makes the entries of a directory (a renamed or created child) durable. */
    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    @Override
    public OptionalLong storedSize(Digest digest) throws IOException {
        try {
            return OptionalLong.of(Files.size(blobPath(digest)));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public void listBlobs(Consumer<StoredBlob> each) throws IOException {
        Path blobs = root.resolve("blobs");
        try (Stream<Path> files = Files.walk(blobs, 3)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path relative = blobs.relativize(file);
                if (relative.getNameCount() != 3) {
                    continue;
                }
                Optional<Digest> digest = BlobKeys.digestOf(relative.getName(0).toString(), relative.getName(2).toString());
                BasicFileAttributes attributes = attributes(file);
                if (digest.isPresent() && attributes != null && attributes.isRegularFile()) {
                    each.accept(new StoredBlob(digest.get(), attributes.size(), attributes.lastModifiedTime().toInstant()));
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** The file's attributes, or null when it was deleted since it was listed. */
    private static BasicFileAttributes attributes(Path file) throws IOException {
        try {
            return Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public void listUploads(Consumer<StoredUpload> each) throws IOException {
        try (Stream<Path> folders = Files.list(root.resolve("uploads"))) {
            for (Path folder : (Iterable<Path>) folders::iterator) {
                BasicFileAttributes folderAttributes = attributes(folder);
                if (folderAttributes == null || !folderAttributes.isDirectory()) {
                    continue;
                }
                long bytes = 0;
                Instant newest = folderAttributes.lastModifiedTime().toInstant();
                try (Stream<Path> files = Files.list(folder)) {
                    for (Path file : (Iterable<Path>) files::iterator) {
                        BasicFileAttributes attributes = attributes(file);
                        if (attributes != null) {
                            bytes += attributes.size();
                            Instant modified = attributes.lastModifiedTime().toInstant();
                            newest = modified.isAfter(newest) ? modified : newest;
                        }
                    }
                } catch (NoSuchFileException e) {
                    continue;
                }
                each.accept(new StoredUpload(folder.getFileName().toString(), bytes, newest));
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    @Override
    public void delete(Digest digest) throws IOException {
        Files.deleteIfExists(blobPath(digest));
    }

    @Override
    public void discard(String uploadId, List<UploadLayout.Segment> segments) throws IOException {
        for (UploadLayout.Segment segment : segments) {
            Files.deleteIfExists(segmentPath(uploadId, segment.name()));
        }
        Path folder = root.resolve(BlobKeys.uploadFolder(uploadId));
        try (var leftovers = Files.list(folder)) {
            // Commit files of a failed attempt are the only thing left once the segments are gone.
            for (Path path : leftovers.filter(p -> p.getFileName().toString().startsWith("commit-")).toList()) {
                Files.deleteIfExists(path);
            }
            Files.deleteIfExists(folder);
        } catch (NoSuchFileException | DirectoryNotEmptyException e) {
            // still in use by a later segment, or already gone
        }
    }

    @Override
    public void discardUpload(String uploadId) throws IOException {
        Path folder = root.resolve(BlobKeys.uploadFolder(uploadId));
        try (var files = Files.list(folder)) {
            for (Path file : files.toList()) {
                Files.deleteIfExists(file);
            }
        } catch (NoSuchFileException e) {
            return;
        }
        Files.deleteIfExists(folder);
    }

    @Override
    public long chunkMinLength() {
        return 1;
    }

    @Override
    public void probe() throws IOException {
        if (!Files.isDirectory(root.resolve("blobs")) || !Files.isWritable(root.resolve("uploads"))) {
            throw new IOException("blob root is not a writable directory: " + root);
        }
    }

    /** Opens its file on first read, so a long upload does not hold every segment open at once. */
    private static final class LazyFileStream extends InputStream {
        private final Path path;
        private InputStream in;

        LazyFileStream(Path path) {
            this.path = path;
        }

        private InputStream in() {
            if (in == null) {
                try {
                    in = Files.newInputStream(path);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return in;
        }

        @Override
        public int read() throws IOException {
            return in().read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return in().read(b, off, len);
        }

        @Override
        public void close() throws IOException {
            if (in != null) {
                in.close();
            }
        }
    }
}
