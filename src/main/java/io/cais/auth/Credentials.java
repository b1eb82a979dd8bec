package io.cais.auth;

import org.bouncycastle.crypto.generators.OpenBSDBCrypt;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * How secrets are kept. User passwords: bcrypt (slow on purpose, salted). Robot secrets: 256 random bits, kept
 * as SHA-256 — unguessable, so a fast hash is safe, and kubelets present them on every pull.
 */
public final class Credentials {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int BCRYPT_COST = 10;

    private Credentials() {
    }

    public static String hashPassword(String password) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return OpenBSDBCrypt.generate(password.toCharArray(), salt, BCRYPT_COST);
    }

    public static boolean passwordMatches(String bcrypt, String password) {
        try {
            return OpenBSDBCrypt.checkPassword(bcrypt, password.toCharArray());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A new robot secret: 32 random bytes, URL-safe base64 (43 characters). */
    public static String newSecret() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public static String sha256(String value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static boolean secretMatches(String storedSha256, String secret) {
        return MessageDigest.isEqual(storedSha256.getBytes(StandardCharsets.US_ASCII),
                sha256(secret).getBytes(StandardCharsets.US_ASCII));
    }

    /** A short fingerprint of a stored credential: it changes when the password or secret does. */
    public static String fingerprint(String credentialHash) {
        return sha256(credentialHash).substring(0, 16);
    }
}
