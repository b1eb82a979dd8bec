package io.cais.auth.workload;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import org.jose4j.jwk.EllipticCurveJsonWebKey;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jwk.RsaJsonWebKey;
import org.jose4j.jwk.Use;
import org.jose4j.keys.EllipticCurves;
import org.jose4j.lang.JoseException;

import java.util.List;

/**
 * An issuer's public keys as a JSON Web Key Set (RFC 7517) — what {@code kubectl get --raw /openid/v1/jwks} prints.
 * Only keys that can verify an accepted algorithm are taken: RSA of at least 2048 bits (RS256) and EC P-256 (ES256),
 * for signatures; a document carrying a private key is refused rather than stored.
 */
public final class JwksDocument {

    private static final int MIN_RSA_BITS = 2048;
    /** Far more than any issuer publishes; bounds what a verification may try. */
    private static final int MAX_KEYS = 32;

    private JwksDocument() {
    }

    /** The verification keys of a document; 400 INVALID_REQUEST with the reason when it has none or a bad one. */
    public static List<JsonWebKey> keys(String json) {
        JsonWebKeySet set;
        try {
            set = new JsonWebKeySet(json == null ? "" : json);
        } catch (JoseException | RuntimeException e) {
            throw invalid("not a JSON Web Key Set ({\"keys\":[…]}): " + e.getMessage());
        }
        List<JsonWebKey> keys = set.getJsonWebKeys();
        if (keys.isEmpty() || keys.size() > MAX_KEYS) {
            throw invalid("a key set has between 1 and " + MAX_KEYS + " RSA or EC P-256 keys");
        }
        for (JsonWebKey key : keys) {
            check(key);
        }
        return List.copyOf(keys);
    }

    /** The document as stored: public parameters only, normalised. */
    public static String normalised(List<JsonWebKey> keys) {
        return new JsonWebKeySet(keys).toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY);
    }

    private static void check(JsonWebKey key) {
        String kid = key.getKeyId() == null ? "(no kid)" : key.getKeyId();
        if (key instanceof PublicJsonWebKey publicKey && publicKey.getPrivateKey() != null) {
            throw invalid("key " + kid + " includes its private part: upload public keys only");
        }
        if (key.getUse() != null && !Use.SIGNATURE.equals(key.getUse())) {
            throw invalid("key " + kid + " is not for signatures (use: " + key.getUse() + ")");
        }
        boolean usable = switch (key) {
            case RsaJsonWebKey rsa -> rsa.getRsaPublicKey().getModulus().bitLength() >= MIN_RSA_BITS;
            case EllipticCurveJsonWebKey ec -> EllipticCurves.P_256.equals(ec.getCurveName());
            default -> false;
        };
        if (!usable) {
            throw invalid("key " + kid + " is neither RSA of at least " + MIN_RSA_BITS + " bits nor EC P-256");
        }
    }

    private static RegistryException invalid(String message) {
        return new RegistryException(ErrorCode.INVALID_REQUEST, message);
    }
}
