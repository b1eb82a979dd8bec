package io.cais.auth;

import io.cais.metadata.SigningKeyStore;
import io.cais.metadata.postgres.ReplicatedMemory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The ES256 key pairs that sign tokens, kept in PostgreSQL so that every replica signs and verifies with the
 * same keys. The first replica to start creates one; {@link #rotate} adds a newer one, which signs from then on,
 * while older keys keep verifying the tokens they signed until {@link #delete}d.
 *
 * <p>Each replica remembers the keys, and forgets them whenever any replica (or an operator's SQL) adds or
 * deletes one: the V5 trigger notifies every replica through {@link io.cais.metadata.postgres.ChangeListener}. While that
 * listener is not connected, nothing is remembered: every signature and verification reads the database, so a
 * deleted key is refused at once even then. {@link #generation()} tells caches of verified tokens when to forget.
 */
@ApplicationScoped
public class SigningKeys extends ReplicatedMemory {

    public static final String ALGORITHM = "ES256";
    static final String CHANNEL = "cais_signing_key_change";

    public record SigningKey(String kid, PrivateKey privateKey, PublicKey publicKey) {
    }

    @Inject
    SigningKeyStore store;

    private final Map<String, PublicKey> verificationKeys = new ConcurrentHashMap<>();
    private volatile SigningKey current;

    /** The key to sign with: the newest one, created on first use when there is none. */
    public SigningKey current() {
        SigningKey key = remembering() ? current : null;
        if (key != null) {
            return key;
        }
        long seen = generation();
        SigningKey fresh = newest().orElseGet(() -> {
            insert(generate());
            return newest().orElseThrow();
        });
        remember(seen, () -> current = fresh);
        return fresh;
    }

    /** A key that may verify a token, by its id; looked up in the database when this node does not know it. */
    public Optional<PublicKey> verificationKey(String kid) {
        PublicKey key = remembering() ? verificationKeys.get(kid) : null;
        if (key == null) {
            long seen = generation();
            key = load(kid).orElse(null);
            if (key != null) {
                PublicKey loaded = key;
                remember(seen, () -> verificationKeys.put(kid, loaded));
            }
        }
        return Optional.ofNullable(key);
    }

    /** Changes whenever what this replica remembers of the keys may be wrong; caches of verified tokens compare it. */
    public long keyGeneration() {
        return remembering() ? generation() : -1;
    }

    /** Creates a newer key; it signs from now on, on every replica. */
    public String rotate() {
        SigningKey key = generate();
        insert(key);
        forget();
        return key.kid();
    }

    /** Deletes a key: tokens it signed stop verifying at once, on every replica. False when there is no such key. */
    public boolean delete(String kid) {
        boolean deleted = store.delete(kid);
        forget();
        return deleted;
    }

    public List<SigningKeyStore.KeyInfo> list() {
        return store.list();
    }

    /** The public keys as a JSON Web Key Set (RFC 7517): for anyone who verifies Cais tokens. */
    public List<Map<String, String>> publicKeySet() {
        List<Map<String, String>> keys = new ArrayList<>();
        for (SigningKeyStore.StoredKey stored : store.publicKeys(ALGORITHM)) {
            ECPublicKey key = (ECPublicKey) decodePublic(stored.publicKey());
            keys.add(Map.of("kty", "EC", "crv", "P-256", "use", "sig", "alg", ALGORITHM, "kid", stored.kid(),
                    "x", coordinate(key.getW().getAffineX()), "y", coordinate(key.getW().getAffineY())));
        }
        return keys;
    }

    @Override
    public String channel() {
        return CHANNEL;
    }


    @Override
    protected void clear() {
        current = null;
        verificationKeys.clear();
    }

    /** A P-256 coordinate as JWK wants it: exactly 32 big-endian bytes, base64url without padding. */
    private static String coordinate(java.math.BigInteger value) {
        byte[] bytes = value.toByteArray();
        byte[] fixed = new byte[32];
        int length = Math.min(bytes.length, 32);
        System.arraycopy(bytes, bytes.length - length, fixed, 32 - length, length);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(fixed);
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
        store.insert(ALGORITHM, new SigningKeyStore.StoredKey(key.kid(), key.privateKey().getEncoded(),
                key.publicKey().getEncoded()));
    }

    private Optional<SigningKey> newest() {
        return store.newest(ALGORITHM).map(stored -> new SigningKey(stored.kid(), decodePrivate(stored.privateKey()),
                decodePublic(stored.publicKey())));
    }

    private Optional<PublicKey> load(String kid) {
        return store.publicKey(kid, ALGORITHM).map(stored -> decodePublic(stored.publicKey()));
    }

    private static PrivateKey decodePrivate(byte[] encoded) {
        try {
            return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(encoded));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read a stored signing key", e);
        }
    }

    private static PublicKey decodePublic(byte[] encoded) {
        try {
            return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(encoded));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read a stored signing key", e);
        }
    }
}
