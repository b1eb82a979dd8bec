package io.cais.storage;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

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
}
