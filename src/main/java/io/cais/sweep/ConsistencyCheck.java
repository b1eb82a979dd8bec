package io.cais.sweep;

import io.cais.content.Digest;
import io.cais.metadata.FsckStore;
import io.cais.storage.BlobContent;
import io.cais.storage.BlobStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The consistency check (fsck): every {@code blob} row must have its object in the store, of the row's size, and —
 * when re-hashed — of the row's digest. Problems are reported. With {@code repair}, the row of a blob that nothing
 * references (no repository link, no manifest) is deleted when its object is missing or damaged: no client can be
 * served it anyway, a new push stores it again, and a damaged object left without a row is removed by the sweep.
 * Referenced content is never changed: it is reported, for an operator to restore from a backup or to delete the
 * manifests that need it.
 */
@ApplicationScoped
public class ConsistencyCheck {

    private static final int PAGE = 500;

    /** Which blobs are read back and hashed: none, a random sample ({@code cais.fsck.sample-rate}), or all. */
    public enum Rehash {
        NONE, SAMPLE, ALL;

        public static Rehash parse(String value) {
            return valueOf(value.toUpperCase(Locale.ROOT));
        }
    }

    @Inject
    BlobStore store;

    @Inject
    FsckStore rows;

    @Inject
    FsckConfig config;

    public FsckReport run(Rehash rehash, boolean repair) {
        FsckReport report = new FsckReport(rehash.name().toLowerCase(Locale.ROOT), repair);
        RehashThrottle throttle = new RehashThrottle(config.rehashRate());
        String after = "";
        List<FsckStore.BlobRow> page;
        do {
            page = rows.blobsAfter(after, PAGE);
            for (FsckStore.BlobRow row : page) {
                check(row, rehash, repair, report, throttle);
                after = row.digest().toString();
            }
        } while (page.size() == PAGE);
        return report;
    }

    private void check(FsckStore.BlobRow row, Rehash rehash, boolean repair, FsckReport report, RehashThrottle throttle) {
        report.checked();
        try {
            OptionalLong stored = store.storedSize(row.digest());
            if (stored.isEmpty()) {
                report.problem(problem(row, FsckReport.Kind.MISSING, null, null, repair));
            } else if (stored.getAsLong() != row.size()) {
                report.problem(problem(row, FsckReport.Kind.WRONG_SIZE, stored.getAsLong(), null, repair));
            } else if (rehash == Rehash.ALL
                    || rehash == Rehash.SAMPLE && ThreadLocalRandom.current().nextDouble() < config.sampleRate()) {
                Digest actual = hash(row, throttle);
                report.rehashed(row.size());
                if (!actual.equals(row.digest())) {
                    report.problem(problem(row, FsckReport.Kind.WRONG_DIGEST, row.size(), actual.toString(), repair));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private FsckReport.Problem problem(FsckStore.BlobRow row, FsckReport.Kind kind, Long storedSize, String actual,
                                       boolean repair) {
        boolean referenced = rows.referenced(row.digest());
        boolean repaired = repair && !referenced && rows.deleteIfUnreferenced(row.digest());
        return new FsckReport.Problem(row.digest().toString(), kind, row.size(), storedSize, actual, referenced, repaired);
    }

    private Digest hash(FsckStore.BlobRow row, RehashThrottle throttle) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance(row.digest().algorithm().jcaName());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        BlobContent content = store.read(row.digest(), 0, row.size());
        try (InputStream in = switch (content) {
            case BlobContent.FileRegion region -> Files.newInputStream(region.path());
            case BlobContent.Stream stream -> stream.stream();
        }) {
            byte[] buffer = new byte[64 * 1024];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
                throttle.read(n);
            }
        }
        return Digest.of(row.digest().algorithm(), digest.digest());
    }
}
