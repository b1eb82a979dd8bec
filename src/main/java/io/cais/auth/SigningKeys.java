package io.cais.auth;

import io.agroal.api.AgroalDataSource;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ES256 key pairs that sign tokens, kept in PostgreSQL so that every replica signs and verifies with the
 * same keys. The first replica to start creates one; {@link #rotate} adds a newer one, which signs from then on,
 * while older keys keep verifying the tokens they signed.
 */
@ApplicationScoped
public class SigningKeys {

    public static final String ALGORITHM = "ES256";

    public record SigningKey(String kid, PrivateKey privateKey, PublicKey publicKey) {
    }

    @Inject
    AgroalDataSource dataSource;

    private final Map<String, PublicKey> verificationKeys = new ConcurrentHashMap<>();
    private volatile SigningKey current;

    /** The key to sign with: the newest one, created on first use when there is none. */
    public SigningKey current() {
        SigningKey key = current;
        if (key == null) {
            key = newest().orElseGet(() -> {
                insert(generate());
                return newest().orElseThrow();
            });
            current = key;
        }
        return key;
    }

    /** A key that may verify a token, by its id; looked up in the database when this node has not seen it. */
    public Optional<PublicKey> verificationKey(String kid) {
        PublicKey key = verificationKeys.get(kid);
        if (key == null) {
            key = load(kid).orElse(null);
            if (key != null) {
                verificationKeys.put(kid, key);
            }
        }
        return Optional.ofNullable(key);
    }

    /** Creates a newer key; it signs from now on, on every replica once their cached key is refreshed. */
    public String rotate() {
        SigningKey key = generate();
        insert(key);
        current = null;
        return key.kid();
    }

    /** Forgets the cached signing key, so the newest one is read again (after another replica rotated). */
    public void refresh() {
        current = null;
    }

    private static SigningKey generate() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = generator.generateKeyPair();
            byte[] fingerprint = MessageDigest.getInstance("SHA-256").digest(pair.getPublic().getEncoded());
            String kid = Base64.getUrlEncoder().withoutPadding().encodeToString(fingerprint).substring(0, 22);
            return new SigningKey(kid, pair.getPrivate(), pair.getPublic());
        } catch (Exception e) {
            throw new IllegalStateException("cannot generate a signing key", e);
        }
    }

    private void insert(SigningKey key) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(
                     "INSERT INTO signing_key (kid, algorithm, private_key, public_key) VALUES (?, ?, ?, ?)")) {
            statement.setString(1, key.kid());
            statement.setString(2, ALGORITHM);
            statement.setBytes(3, key.privateKey().getEncoded());
            statement.setBytes(4, key.publicKey().getEncoded());
            statement.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot store a signing key", e);
        }
    }

    private Optional<SigningKey> newest() {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(
                     "SELECT kid, private_key, public_key FROM signing_key WHERE algorithm = ? "
                             + "ORDER BY created_at DESC, kid LIMIT 1")) {
            statement.setString(1, ALGORITHM);
            try (ResultSet row = statement.executeQuery()) {
                if (!row.next()) {
                    return Optional.empty();
                }
                KeyFactory factory = KeyFactory.getInstance("EC");
                PublicKey publicKey = factory.generatePublic(new X509EncodedKeySpec(row.getBytes(3)));
                verificationKeys.put(row.getString(1), publicKey);
                return Optional.of(new SigningKey(row.getString(1),
                        factory.generatePrivate(new PKCS8EncodedKeySpec(row.getBytes(2))), publicKey));
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot read signing keys", e);
        }
    }

    private Optional<PublicKey> load(String kid) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(
                     "SELECT public_key FROM signing_key WHERE kid = ? AND algorithm = ?")) {
            statement.setString(1, kid);
            statement.setString(2, ALGORITHM);
            try (ResultSet row = statement.executeQuery()) {
                return row.next()
                        ? Optional.of(KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(row.getBytes(1))))
                        : Optional.empty();
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot read signing keys", e);
        }
    }
}
