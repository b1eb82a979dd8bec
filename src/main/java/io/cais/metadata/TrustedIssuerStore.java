package io.cais.metadata;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;

/**
 * The token issuers each namespace trusts, with their public keys as an uploaded JWKS document. Every write is one
 * statement; the V8 triggers tell every replica to forget what it remembers of the trust configuration on commit.
 */
@ApplicationScoped
public class TrustedIssuerStore {

    /** A namespace's trust in one issuer. */
    public record StoredIssuer(long id, String namespace, String name, String issuer, String audience, String jwks,
                               OffsetDateTime createdAt, OffsetDateTime keysUpdatedAt) {
    }

    private static final String COLUMNS = "t.id, n.name, t.name, t.issuer, t.audience, t.jwks, t.created_at, t.keys_updated_at";
    private static final Jdbc.Row<StoredIssuer> ISSUER = row -> new StoredIssuer(row.getLong(1), row.getString(2),
            row.getString(3), row.getString(4), row.getString(5), row.getString(6),
            row.getObject(7, OffsetDateTime.class), row.getObject(8, OffsetDateTime.class));

    @Inject
    Jdbc jdbc;

    /**
     * Adds the trust; false when the namespace already has one of that name or for that issuer. Two admins creating
     * the same one at once: the unique constraints let exactly one insert, the other gets false.
     */
    public boolean create(String namespace, String name, String issuer, String audience, String jwks) {
        return jdbc.update("INSERT INTO trusted_issuer (namespace_id, name, issuer, audience, jwks) "
                + "SELECT id, ?, ?, ?, ? FROM namespace WHERE name = ? ON CONFLICT DO NOTHING",
                name, issuer, audience, jwks, namespace) == 1;
    }

    public List<StoredIssuer> list(String namespace) {
        return jdbc.list("SELECT " + COLUMNS + " FROM trusted_issuer t JOIN namespace n ON n.id = t.namespace_id "
                + "WHERE n.name = ? ORDER BY t.name", ISSUER, namespace);
    }

    public Optional<StoredIssuer> find(String namespace, String name) {
        return jdbc.first("SELECT " + COLUMNS + " FROM trusted_issuer t JOIN namespace n ON n.id = t.namespace_id "
                + "WHERE n.name = ? AND t.name = ?", ISSUER, namespace, name);
    }

    /** Every namespace's trust in this issuer: where verifying a token starts. */
    public List<StoredIssuer> trusting(String issuer) {
        return jdbc.list("SELECT " + COLUMNS + " FROM trusted_issuer t JOIN namespace n ON n.id = t.namespace_id "
                + "WHERE t.issuer = ? ORDER BY n.name", ISSUER, issuer);
    }

    /**
     * Replaces the whole key set; false when there is no such trust. Concurrent replacements: the row lock makes
     * them one after the other, and the last one committed is the key set.
     */
    public boolean replaceKeys(String namespace, String name, String jwks) {
        return jdbc.update("UPDATE trusted_issuer SET jwks = ?, keys_updated_at = now() "
                + "WHERE name = ? AND namespace_id = (SELECT id FROM namespace WHERE name = ?)", jwks, name, namespace) == 1;
    }

    /** Deletes the trust with its rules (cascade); false when there is no such trust. */
    public boolean delete(String namespace, String name) {
        return jdbc.update("DELETE FROM trusted_issuer WHERE name = ? "
                + "AND namespace_id = (SELECT id FROM namespace WHERE name = ?)", name, namespace) == 1;
    }
}
