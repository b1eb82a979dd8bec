package io.cais.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.NumericDate;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.lang.JoseException;
import org.jose4j.lang.UnresolvableKeyException;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Bearer tokens as Distribution's token authentication describes them: JWTs signed with ES256 (jose4j), carrying
 * the granted {@code access}. Verification accepts exactly ES256 with a known key id — never {@code none}, never
 * another algorithm — and checks issuer, audience, lifetime and what the token is for ({@code use}: an access
 * token is no refresh token and the other way round).
 */
@ApplicationScoped
public class Tokens {

    private static final String ACCESS = "access";
    private static final String REFRESH = "refresh";
    /** A web console session (the {@code cais_session} cookie): never an access or a refresh token. */
    private static final String CONSOLE = "console";
    /** The claim that names the workload an access token was issued to. */
    private static final String WORKLOAD = "workload";
    private static final int VERIFIED_CACHE_SIZE = 10_000;
    /** Replicas' clocks differ a little; a token must not be refused for that. */
    private static final int CLOCK_SKEW_SECONDS = 30;
    private static final AlgorithmConstraints ONLY_ES256 =
            new AlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT, AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256);

    /** Verified access tokens (see {@link #verifyAccess}); none outlives the longest token lifetime. */
    private final Cache<String, Verified> verified;
    /** Access tokens issued lately, for reuse (see {@link #issueAccess(String, String, List)}). */
    private final Cache<String, Issued> recentlyIssued;
    private final SigningKeys keys;
    private final AuthConfig config;
    private final JwtConsumer consumer;

    /**
     * What a verified token says. {@code subject} is null for anonymous tokens; {@code fingerprint} is set on refresh
     * tokens only; {@code workload} on access tokens issued to a workload only.
     */
    public record Claims(String subject, List<Grant> access, Instant expiresAt, String fingerprint, Workload workload) {
    }

    public record Issued(String token, Instant issuedAt, long expiresIn) {
    }

    /** A verified token, valid while the keys are as they were when it was verified. */
    private record Verified(Claims claims, long keyGeneration) {
    }

    @Inject
    Tokens(SigningKeys keys, AuthConfig config) {
        this.keys = keys;
        this.config = config;
        Duration lifetime = config.tokenLifetime();
        this.verified = Caffeine.newBuilder().maximumSize(VERIFIED_CACHE_SIZE)
                .expireAfterWrite(lifetime.plusSeconds(CLOCK_SKEW_SECONDS)).build();
        this.recentlyIssued = Caffeine.newBuilder().maximumSize(VERIFIED_CACHE_SIZE)
                .expireAfterWrite(lifetime.dividedBy(2)).build();
        this.consumer = new JwtConsumerBuilder()
                .setJwsAlgorithmConstraints(ONLY_ES256)
                .setVerificationKeyResolver((jws, nested) -> keys.verificationKey(jws.getKeyIdHeaderValue())
                        .orElseThrow(() -> new UnresolvableKeyException("unknown key id")))
                .setExpectedIssuer(config.service())
                .setExpectedAudience(config.service())
                .setRequireExpirationTime()
                .setAllowedClockSkewInSeconds(CLOCK_SKEW_SECONDS)
                .build();
    }

    /**
     * An access token for an account ({@code subject}, proved by the credential whose fingerprint is given) or, with
     * both null, for an anonymous caller, whose token then carries no {@code sub} at all.
     * <p>containerd keeps no token between pulls, so every pod start logs in again and asks for the same scope. A
     * token issued to the same subject, proved by the same credential, for the same grants and signed with the
     * current key at most half a lifetime ago is handed back as it was (its own {@code issued_at} and
     * {@code expires_in}, so the client sees its true expiry): that saves a signature here and, since this replica
     * verified it before, the verification of the requests that follow. It grants nothing a new token would not
     * and expires when it always would; a rotated secret or password changes the fingerprint, an added or deleted
     * key the generation, and either stops the reuse.
     */
    public Issued issueAccess(String subject, String credentialFingerprint, List<Grant> grants) {
        long generation = keys.keyGeneration();
        if (generation < 0) {
            return issueAccess(subject, grants, null, null);
        }
        String key = generation + "|" + keys.current().kid() + "|" + subject + "|" + credentialFingerprint + "|"
                + grants.stream().map(g -> g.type() + ":" + g.name() + ":" + Action.wireList(g.actions()))
                        .sorted().collect(Collectors.joining(" "));
        return recentlyIssued.get(key, ignored -> issueAccess(subject, grants, null, null));
    }

    /**
     * An access token for a workload (when {@code workload} is not null), which names it so that its pulls can be
     * recorded; it expires no later than {@code notAfter} (the workload's own token), whatever the token lifetime.
     */
    public Issued issueAccess(String subject, List<Grant> grants, Workload workload, Instant notAfter) {
        Instant now = Instant.now();
        long lifetime = config.tokenLifetime().toSeconds();
        if (notAfter != null) {
            lifetime = Math.max(0, Math.min(lifetime, notAfter.getEpochSecond() - now.getEpochSecond()));
        }
        JwtClaims claims = claims(subject, now, lifetime, ACCESS);
        List<Map<String, Object>> access = new ArrayList<>();
        for (Grant grant : grants) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("type", grant.type());
            entry.put("name", grant.name());
            entry.put("actions", grant.type().equals(Grant.REGISTRY) ? List.of("*")
                    : grant.actions().stream().sorted().map(Action::wire).toList());
            access.add(entry);
        }
        claims.setClaim("access", access);
        if (workload != null) {
            claims.setClaim(WORKLOAD, workloadClaim(workload));
        }
        long generation = keys.keyGeneration();
        String token = sign(claims);
        if (generation >= 0) {
            // Signed here a moment ago: what verifying it would find, without the ECDSA verification.
            verified.put(token, new Verified(new Claims(subject, List.copyOf(grants),
                    Instant.ofEpochSecond(now.getEpochSecond() + lifetime), null, workload), generation));
        }
        return new Issued(token, now, lifetime);
    }

    /** A refresh token for the OAuth2 flow; bound to the account's current credential by its fingerprint. */
    public Issued issueRefresh(String subject, String fingerprint) {
        Instant now = Instant.now();
        JwtClaims claims = claims(subject, now, config.refreshTokenLifetime().toSeconds(), REFRESH);
        claims.setClaim("cfp", fingerprint);
        return new Issued(sign(claims), now, config.refreshTokenLifetime().toSeconds());
    }

    /** A console session for an account, bound to its current credential like a refresh token. */
    public Issued issueConsoleSession(String subject, String fingerprint, Duration lifetime) {
        Instant now = Instant.now();
        JwtClaims claims = claims(subject, now, lifetime.toSeconds(), CONSOLE);
        claims.setClaim("cfp", fingerprint);
        return new Issued(sign(claims), now, lifetime.toSeconds());
    }

    /**
     * Verifies an access token. A kubelet presents the same token for every request of a pull, and an ECDSA
     * verification costs far more than the rest of a manifest HEAD, so verified tokens (and those this replica
     * signed) are remembered until they expire, or until any signing key is added or deleted. While the keys cannot
     * be trusted (their change listener is down), nothing is remembered.
     */
    public Optional<Claims> verifyAccess(String token) {
        long keyGeneration = keys.keyGeneration();
        Verified cached = verified.getIfPresent(token);
        if (cached != null) {
            if (cached.keyGeneration() == keyGeneration && cached.claims().expiresAt().isAfter(Instant.now())) {
                return Optional.of(cached.claims());
            }
            verified.invalidate(token);
        }
        Optional<Claims> claims = verify(token, ACCESS);
        if (claims.isPresent() && keyGeneration >= 0) {
            verified.put(token, new Verified(claims.get(), keyGeneration));
        }
        return claims;
    }

    public Optional<Claims> verifyRefresh(String token) {
        return verify(token, REFRESH);
    }

    public Optional<Claims> verifyConsoleSession(String token) {
        return verify(token, CONSOLE);
    }

    private JwtClaims claims(String subject, Instant now, long lifetime, String use) {
        JwtClaims claims = new JwtClaims();
        claims.setIssuer(config.service());
        if (subject != null) {
            claims.setSubject(subject);
        }
        claims.setAudience(config.service());
        claims.setIssuedAt(NumericDate.fromSeconds(now.getEpochSecond()));
        claims.setNotBefore(NumericDate.fromSeconds(now.getEpochSecond() - 5));
        claims.setExpirationTime(NumericDate.fromSeconds(now.getEpochSecond() + lifetime));
        claims.setGeneratedJwtId();
        claims.setClaim("use", use);
        return claims;
    }

    private static Map<String, String> workloadClaim(Workload workload) {
        Map<String, String> claim = new LinkedHashMap<>();
        claim.put("iss", workload.issuer());
        claim.put("sub", workload.subject());
        claim.put("namespace", workload.kubernetesNamespace());
        claim.put("serviceaccount", workload.serviceAccount());
        claim.put("pod", workload.pod());
        claim.put("node", workload.node());
        return claim;
    }

    private static Workload workload(Object claim) {
        if (!(claim instanceof Map<?, ?> map)) {
            return null;
        }
        return new Workload(text(map.get("iss")), text(map.get("sub")), text(map.get("namespace")),
                text(map.get("serviceaccount")), text(map.get("pod")), text(map.get("node")));
    }

    private static String text(Object value) {
        return value instanceof String text ? text : "";
    }

    private String sign(JwtClaims claims) {
        SigningKeys.SigningKey key = keys.current();
        JsonWebSignature jws = new JsonWebSignature();
        jws.setPayload(claims.toJson());
        jws.setKey(key.privateKey());
        jws.setKeyIdHeaderValue(key.kid());
        jws.setHeader("typ", "JWT");
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256);
        try {
            return jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException("cannot sign token", e);
        }
    }

    private Optional<Claims> verify(String token, String use) {
        try {
            JwtClaims claims = consumer.processToClaims(token);
            if (!use.equals(claims.getClaimValue("use"))) {
                return Optional.empty();
            }
            List<Grant> grants = new ArrayList<>();
            Object access = claims.getClaimValue("access");
            if (access instanceof List<?> entries) {
                for (Object entry : entries) {
                    if (entry instanceof Map<?, ?> grant && grant.get("actions") instanceof List<?> actions) {
                        grants.add(new Grant(String.valueOf(grant.get("type")), String.valueOf(grant.get("name")),
                                Action.parseList(String.join(",", actions.stream().map(String::valueOf).toList()))));
                    }
                }
            }
            return Optional.of(new Claims(claims.getSubject(), List.copyOf(grants),
                    Instant.ofEpochSecond(claims.getExpirationTime().getValue()),
                    claims.getClaimValueAsString("cfp"), workload(claims.getClaimValue(WORKLOAD))));
        } catch (InvalidJwtException | org.jose4j.jwt.MalformedClaimException e) {
            // Not a token of ours, expired, tampered, or signed with an unknown or deleted key.
            return Optional.empty();
        }
    }
}
