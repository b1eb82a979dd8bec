package io.cais.metadata;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.transaction.Transactional;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/** Token signing keys, shared by every replica; the V5 trigger tells every replica when one is added or deleted. */
@ApplicationScoped
public class SigningKeyStore {

    /** A key as stored: encoded PKCS#8 private and X.509 public halves. */
    public record StoredKey(String kid, byte[] privateKey, byte[] publicKey) {
    }

    /** What the admin API shows of a key: never its private part. */
    public record KeyInfo(String kid, String algorithm, OffsetDateTime createdAt) {
    }

    private static final Jdbc.Row<StoredKey> KEY = row -> new StoredKey(row.getString(1), row.getBytes(2), row.getBytes(3));

    @Inject
    Jdbc jdbc;

    @Transactional
    public void insert(String algorithm, StoredKey key) {
        jdbc.update("INSERT INTO signing_key (kid, algorithm, private_key, public_key) VALUES (?, ?, ?, ?)",
                key.kid(), algorithm, key.privateKey(), key.publicKey());
    }

    /** False when there is no such key. */
    @Transactional
    public boolean delete(String kid) {
        return jdbc.update("DELETE FROM signing_key WHERE kid = ?", kid) > 0;
    }

    /** Newest first. */
    public List<KeyInfo> list() {
        return jdbc.list("SELECT kid, algorithm, created_at FROM signing_key ORDER BY created_at DESC, kid",
                row -> new KeyInfo(row.getString(1), row.getString(2), row.getObject(3, OffsetDateTime.class)));
    }

    /** The public halves of the algorithm's keys, newest first (their private halves are not read). */
    public List<StoredKey> publicKeys(String algorithm) {
        return jdbc.list("SELECT kid, NULL, public_key FROM signing_key WHERE algorithm = ? ORDER BY created_at DESC, kid",
                KEY, algorithm);
    }

    public Optional<StoredKey> newest(String algorithm) {
        return jdbc.first("SELECT kid, private_key, public_key FROM signing_key WHERE algorithm = ? "
                + "ORDER BY created_at DESC, kid LIMIT 1", KEY, algorithm);
    }

    /** The key's public half (its private half is not read). */
    public Optional<StoredKey> publicKey(String kid, String algorithm) {
        return jdbc.first("SELECT kid, NULL, public_key FROM signing_key WHERE kid = ? AND algorithm = ?",
                KEY, kid, algorithm);
    }
}
