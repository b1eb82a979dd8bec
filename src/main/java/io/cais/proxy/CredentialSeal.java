package io.cais.proxy;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/**
 * Seals upstream passwords for the database with AES-GCM under {@code cais.proxy.credentials-key}: what is stored is
 * {@code aes-gcm:<base64 of nonce and ciphertext>}. Without a key a password is stored as {@code plain:<password>};
 * either way the API never returns it. A sealed password that the configured key cannot open is treated as absent
 * (and logged by the caller), so a replica with the wrong key pulls anonymously rather than failing every pull.
 */
@ApplicationScoped
class CredentialSeal {

    private static final String SEALED = "aes-gcm:";
    private static final String PLAIN = "plain:";
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private final SecureRandom random = new SecureRandom();

    @Inject
    ProxyConfig config;

    String seal(String password) {
        if (password == null) {
            return null;
        }
        Optional<SecretKeySpec> key = key();
        if (key.isEmpty()) {
            return PLAIN + password;
        }
        try {
            byte[] nonce = new byte[NONCE_BYTES];
            random.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key.get(), new GCMParameterSpec(TAG_BITS, nonce));
            byte[] sealed = cipher.doFinal(password.getBytes(StandardCharsets.UTF_8));
            return SEALED + Base64.getEncoder().encodeToString(ByteBuffer.allocate(nonce.length + sealed.length)
                    .put(nonce).put(sealed).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot seal with cais.proxy.credentials-key", e);
        }
    }

    /** The password, or empty when there is none or it cannot be opened with the configured key. */
    Optional<String> open(String stored) {
        if (stored == null) {
            return Optional.empty();
        }
        if (stored.startsWith(PLAIN)) {
            return Optional.of(stored.substring(PLAIN.length()));
        }
        Optional<SecretKeySpec> key = key();
        if (!stored.startsWith(SEALED) || key.isEmpty()) {
            return Optional.empty();
        }
        try {
            byte[] all = Base64.getDecoder().decode(stored.substring(SEALED.length()));
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key.get(), new GCMParameterSpec(TAG_BITS, all, 0, NONCE_BYTES));
            return Optional.of(new String(cipher.doFinal(all, NONCE_BYTES, all.length - NONCE_BYTES), StandardCharsets.UTF_8));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private Optional<SecretKeySpec> key() {
        return config.credentialsKey().filter(k -> !k.isBlank())
                .map(k -> new SecretKeySpec(Base64.getDecoder().decode(k.strip()), "AES"));
    }
}
