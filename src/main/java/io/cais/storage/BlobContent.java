package io.cais.storage;

import java.io.InputStream;
import java.nio.file.Path;

/** A readable range of a stored blob: a file region (sent zero-copy) or a stream. */
public sealed interface BlobContent {

    long length();

    record FileRegion(Path path, long offset, long length) implements BlobContent {
    }

    record Stream(InputStream stream, long length) implements BlobContent {
    }
}
