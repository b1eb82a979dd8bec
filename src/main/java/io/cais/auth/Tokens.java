package io.cais.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Bearer tokens as Distribution's token authentication describes them: JWTs signed with ES256, carrying the
 * granted {@code access}. Verification accepts exactly ES256 with a known key id — never {@code none}, never
 * another algorithm — and checks issuer, audience and lifetime.
 */
@ApplicationScoped
public class Tokens {

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();
    private static final String SIGNATURE = "SHA256withECDSAinP1363Format";
    private static final String ACCESS = "access";
    private static final String REFRESH = "refresh";
    private static final int VERIFIED_CACHE_SIZE = 10_000;

    private final java.util.Map<String, Verified> verified = new java.util.concurrent.ConcurrentHashMap<>();

    /** A verified token, valid while the keys are as they were when it was verified. */
    private record Verified(Claims claims, long keyGeneration) {
    }

    @Inject
    SigningKeys keys;

    @Inject
    AuthConfig config;

    @Inject
    ObjectMapper json;

    /** What a verified token says. {@code fingerprint} is set on refresh tokens only. */
    public record Claims(String subject, List<Grant> access, Instant expiresAt, String fingerprint) {
    }

    public record Issued(String token, Instant issuedAt, long expiresIn) {
    }

    /** An access token; {@code subject} null for an anonymous one, which then carries no {@code sub} at all. */
    public Issued issueAccess(String subject, List<Grant> grants) {
        Instant now = Instant.now();
        ObjectNode claims = claims(subject, now, config.tokenLifetime().toSeconds(), ACCESS);
        ArrayNode access = claims.putArray("access");
        for (Grant grant : grants) {
            ArrayNode actions = access.addObject().put("type", grant.type()).put("name", grant.name()).putArray("actions");
            if (grant.type().equals(Grant.REGISTRY)) {
                actions.add("*");
            } else {
                grant.actions().stream().sorted().forEach(a -> actions.add(a.wire()));
            }
        }
        return new Issued(sign(claims), now, config.tokenLifetime().toSeconds());
    }

    /** A refresh token for the OAuth2 flow; bound to the account's current credential by its fingerprint. */
    public Issued issueRefresh(String subject, String fingerprint) {
        Instant now = Instant.now();
        ObjectNode claims = claims(subject, now, config.refreshTokenLifetime().toSeconds(), REFRESH);
        claims.put("cfp", fingerprint);
        return new Issued(sign(claims), now, config.refreshTokenLifetime().toSeconds());
    }

    /**
     * Verifies an access token. A kubelet presents the same token for every request of a pull, and an ECDSA
     * verification costs far more than the rest of a manifest HEAD, so verified tokens are remembered until they
     * expire, or until any signing key is added or deleted (bounded: the cache is dropped when full). While the
     * keys cannot be trusted (their change listener is down), nothing is remembered.
     */
    public Optional<Claims> verifyAccess(String token) {
        long keyGeneration = keys.generation();
        Verified cached = verified.get(token);
        if (cached != null) {
            if (cached.keyGeneration() == keyGeneration && cached.claims().expiresAt().isAfter(Instant.now())) {
                return Optional.of(cached.claims());
            }
            verified.remove(token);
        }
        Optional<Claims> claims = verify(token, ACCESS);
        if (claims.isPresent() && keyGeneration >= 0) {
            if (verified.size() >= VERIFIED_CACHE_SIZE) {
                verified.clear();
            }
            verified.put(token, new Verified(claims.get(), keyGeneration));
        }
        return claims;
    }

    public Optional<Claims> verifyRefresh(String token) {
        return verify(token, REFRESH);
    }

    private ObjectNode claims(String subject, Instant now, long lifetime, String use) {
        ObjectNode claims = json.createObjectNode().put("iss", config.service());
        if (subject != null) {
            claims.put("sub", subject);
        }
        return claims
                .put("aud", config.service())
                .put("iat", now.getEpochSecond())
                .put("nbf", now.getEpochSecond() - 5)
                .put("exp", now.getEpochSecond() + lifetime)
                .put("jti", UUID.randomUUID().toString())
                .put("use", use);
    }

    private String sign(ObjectNode claims) {
        SigningKeys.SigningKey key = keys.current();
        try {
            ObjectNode header = json.createObjectNode().put("typ", "JWT").put("alg", SigningKeys.ALGORITHM).put("kid", key.kid());
            String signingInput = B64.encodeToString(json.writeValueAsBytes(header)) + "."
                    + B64.encodeToString(json.writeValueAsBytes(claims));
            Signature signature = Signature.getInstance(SIGNATURE);
            signature.initSign(key.privateKey());
            signature.update(signingInput.getBytes(StandardCharsets.US_ASCII));
            return signingInput + "." + B64.encodeToString(signature.sign());
        } catch (Exception e) {
            throw new IllegalStateException("cannot sign token", e);
        }
    }

    private Optional<Claims> verify(String token, String use) {
        try {
            String[] parts = token.split("\\.", -1);
            if (parts.length != 3) {
                return Optional.empty();
            }
            JsonNode header = json.readTree(B64D.decode(parts[0]));
            if (!SigningKeys.ALGORITHM.equals(header.path("alg").asText()) || !header.path("kid").isTextual()) {
                return Optional.empty();
            }
            Optional<PublicKey> key = keys.verificationKey(header.get("kid").asText());
            if (key.isEmpty()) {
                return Optional.empty();
            }
            Signature signature = Signature.getInstance(SIGNATURE);
            signature.initVerify(key.get());
            signature.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            if (!signature.verify(B64D.decode(parts[2]))) {
                return Optional.empty();
            }
            JsonNode claims = json.readTree(B64D.decode(parts[1]));
            long now = Instant.now().getEpochSecond();
            if (!config.service().equals(claims.path("iss").asText()) || !config.service().equals(claims.path("aud").asText())
                    || !use.equals(claims.path("use").asText()) || claims.path("exp").asLong(0) <= now
                    || claims.path("nbf").asLong(Long.MAX_VALUE) > now + 60) {
                return Optional.empty();
            }
            List<Grant> grants = new ArrayList<>();
            for (JsonNode entry : claims.path("access")) {
                List<String> actions = new ArrayList<>();
                entry.path("actions").forEach(a -> actions.add(a.asText()));
                grants.add(new Grant(entry.path("type").asText(), entry.path("name").asText(),
                        Action.parseList(String.join(",", actions))));
            }
            String subject = claims.hasNonNull("sub") ? claims.get("sub").asText() : null;
            return Optional.of(new Claims(subject, List.copyOf(grants),
                    Instant.ofEpochSecond(claims.path("exp").asLong()),
                    claims.hasNonNull("cfp") ? claims.get("cfp").asText() : null));
        } catch (Exception e) {
            // Malformed base64, JSON or signature: not a token of ours.
            return Optional.empty();
        }
    }
}
