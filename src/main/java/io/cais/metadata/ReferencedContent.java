package io.cais.metadata;

import io.cais.content.Digest;
import io.cais.error.RegistryException;

import java.util.function.Supplier;

/**
 * The delete side of the first locking rule, for content a manifest may reference (a blob link, a child manifest).
 * The row is deleted first: the DELETE waits for a push that read it {@code FOR KEY SHARE} to commit, and makes a
 * later push wait for this transaction. References are looked for afterwards, in a new statement whose snapshot
 * includes every push the DELETE waited for; when there is one, the caller's transaction rolls back with the 409.
 */
final class ReferencedContent {

    private ReferencedContent() {
    }

    /**
     * Runs {@code delete} (parameters: repository name, digest; returns the repository id), then {@code referenced}
     * (parameters: digest, repository id; returns whether anything references the digest). False when nothing
     * was deleted.
     */
    static boolean delete(Jdbc jdbc, String delete, String referenced, String repository, Digest digest,
                          Supplier<RegistryException> conflict) {
        Long repositoryId = jdbc.first(delete, row -> row.getLong(1), repository, digest.toString()).orElse(null);
        if (repositoryId == null) {
            return false;
        }
        if (jdbc.first(referenced, row -> row.getBoolean(1), digest.toString(), repositoryId).orElse(false)) {
            throw conflict.get();
        }
        return true;
    }
}
