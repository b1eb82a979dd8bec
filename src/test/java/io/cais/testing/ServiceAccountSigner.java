package io.cais.testing;

import org.jose4j.jwk.EcJwkGenerator;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jwk.RsaJwkGenerator;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.keys.EllipticCurves;
import org.jose4j.lang.JoseException;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Stands in for a Kubernetes cluster's service-account signer: a key pair generated here (RSA 2048 and RS256 like
 * kube-apiserver's default, or EC P-256 and ES256), its public key set as {@code kubectl get --raw /openid/v1/jwks}
 * prints it, and tokens shaped like the ones the kubelet requests for a pod: audience, issuer, lifetime, subject
 * {@code system:serviceaccount:<namespace>:<name>} and the {@code kubernetes.io} claim.
 */
public final class ServiceAccountSigner {

    /** What the kubelet is told to ask for (serviceAccountTokenAudience), and Cais' default audience. */
    public static final String AUDIENCE = "cais";

    private final String issuer;
    private final PublicJsonWebKey key;
    private final String algorithm;

    private ServiceAccountSigner(String issuer, PublicJsonWebKey key, String algorithm) {
        this.issuer = issuer;
        this.key = key;
        this.algorithm = algorithm;
        key.setKeyId(UUID.randomUUID().toString());
        key.setUse("sig");
        key.setAlgorithm(algorithm);
    }

    /** A cluster signing with a fresh RSA key, under a unique issuer URL. */
    public static ServiceAccountSigner rsa() {
        return rsa(uniqueIssuer());
    }

    public static ServiceAccountSigner rsa(String issuer) {
        try {
            return new ServiceAccountSigner(issuer, RsaJwkGenerator.generateJwk(2048), AlgorithmIdentifiers.RSA_USING_SHA256);
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ServiceAccountSigner ec() {
        try {
            return new ServiceAccountSigner(uniqueIssuer(), EcJwkGenerator.generateJwk(EllipticCurves.P256),
                    AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256);
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The same issuer with a new key: a cluster after its signing key was rotated. */
    public ServiceAccountSigner rotated() {
        return rsa(issuer);
    }

    public String issuer() {
        return issuer;
    }

    /** The public key set, as the cluster publishes it. */
    public String jwks() {
        return new JsonWebKeySet(key).toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY);
    }

    /** The key set with the private key in it: what an operator must not upload. */
    public String jwksWithPrivateKey() {
        return new JsonWebKeySet(key).toJson(JsonWebKey.OutputControlLevel.INCLUDE_PRIVATE);
    }

    /** The claims of a pod's token for this service account, valid for an hour from now. */
    public JwtClaims claims(String namespace, String serviceAccount) {
        Instant now = Instant.now();
        JwtClaims claims = new JwtClaims();
        claims.setAudience(List.of(AUDIENCE));
        claims.setIssuer(issuer);
        claims.setSubject("system:serviceaccount:" + namespace + ":" + serviceAccount);
        claims.setIssuedAt(NumericDate.fromSeconds(now.getEpochSecond()));
        claims.setNotBefore(NumericDate.fromSeconds(now.getEpochSecond()));
        claims.setExpirationTime(NumericDate.fromSeconds(now.plus(Duration.ofHours(1)).getEpochSecond()));
        claims.setJwtId(UUID.randomUUID().toString());
        Map<String, Object> kubernetes = new LinkedHashMap<>();
        kubernetes.put("namespace", namespace);
        kubernetes.put("node", named("node-a"));
        kubernetes.put("pod", named(serviceAccount + "-pod-" + UUID.randomUUID().toString().substring(0, 5)));
        kubernetes.put("serviceaccount", named(serviceAccount));
        claims.setClaim("kubernetes.io", kubernetes);
        return claims;
    }

    /** A pod's token for this service account. */
    public String token(String namespace, String serviceAccount) {
        return sign(claims(namespace, serviceAccount));
    }

    public String sign(JwtClaims claims) {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setKey(key.getPrivateKey());
        jws.setKeyIdHeaderValue(key.getKeyId());
        jws.setAlgorithmHeaderValue(algorithm);
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> named(String name) {
        return Map.of("name", name, "uid", UUID.randomUUID().toString());
    }

    private static String uniqueIssuer() {
        return "https://cluster-" + UUID.randomUUID().toString().substring(0, 8) + ".example.com";
    }
}
