package io.cais.auth.workload;

import io.cais.auth.Workload;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.jose4j.jwt.JwtClaims;
import org.jose4j.jwt.MalformedClaimException;
import org.jose4j.jwt.consumer.InvalidJwtException;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Verifies a workload's token — a JWT of an issuer some namespace trusts, presented as the password of
 * {@value #USERNAME} — against every namespace's trust in its issuer ({@link TrustedIssuers}): signature with one
 * of that namespace's keys (RS256 or ES256 only), issuer, audience, expiry and not-before. What each namespace whose
 * keys verified it maps its subject to is what the workload may do; a token no namespace verifies, or whose subject
 * no rule maps, proves nothing.
 */
@ApplicationScoped
public class WorkloadTokens {

    /** The username that says "the password is a workload's token". Reserved: no account can take it. */
    public static final String USERNAME = "workload";
    private static final Logger LOG = Logger.getLogger(WorkloadTokens.class);
    /** Kubernetes' tokens are 1–2 KiB; anything far larger is not worth parsing. */
    private static final int MAX_TOKEN_LENGTH = 16 * 1024;
    /** Reads claims without checking anything: only to find the issuer whose keys then check everything. */
    private static final JwtConsumer UNVERIFIED = new JwtConsumerBuilder().setSkipAllValidators()
            .setDisableRequireSignature().setSkipSignatureVerification().build();
    private static final int MAX_CLAIMED_SUBJECT = 256;

    @Inject
    TrustedIssuers trustedIssuers;

    public Optional<VerifiedWorkload> verify(String token) {
        String issuer = unverified(token).map(WorkloadTokens::issuer).orElse(null);
        if (issuer == null) {
            return Optional.empty();
        }
        Workload workload = null;
        Instant expiresAt = null;
        List<VerifiedWorkload.Mapping> mappings = new ArrayList<>();
        for (TrustedIssuers.Trust trust : trustedIssuers.trusting(issuer)) {
            JwtClaims claims;
            try {
                claims = trust.consumer().processToClaims(token);
                expiresAt = Instant.ofEpochSecond(claims.getExpirationTime().getValue());
                workload = workload(issuer, claims);
            } catch (InvalidJwtException | MalformedClaimException e) {
                LOG.debugf("a token of %s did not verify for namespace %s: %s", issuer, trust.namespace(), e.getMessage());
                continue;
            }
            for (TrustedIssuers.SubjectRule rule : trust.rules()) {
                if (rule.subject().matches(workload.subject())) {
                    mappings.add(new VerifiedWorkload.Mapping(trust.namespace(), rule.actions(), rule.repositories()));
                }
            }
        }
        // The clock skew allowed above is for not-before; an expired token gets nothing, not even a short registry token.
        if (workload == null || mappings.isEmpty() || !expiresAt.isAfter(Instant.now())) {
            return Optional.empty();
        }
        return Optional.of(new VerifiedWorkload(workload, expiresAt, List.copyOf(mappings)));
    }

    /**
     * What the login throttle counts a failed attempt against: the subject the token claims (unverified), so that one
     * misconfigured workload does not make every other workload on its node wait.
     */
    public static String throttleKey(String token) {
        String subject = unverified(token).map(claims -> claims.getClaimValue("sub") instanceof String s ? s : null)
                .orElse(null);
        if (subject == null) {
            return USERNAME;
        }
        return USERNAME + ":" + (subject.length() > MAX_CLAIMED_SUBJECT ? subject.substring(0, MAX_CLAIMED_SUBJECT) : subject);
    }

    private static Optional<JwtClaims> unverified(String token) {
        if (token == null || token.length() > MAX_TOKEN_LENGTH) {
            return Optional.empty();
        }
        try {
            return Optional.of(UNVERIFIED.processToClaims(token));
        } catch (InvalidJwtException e) {
            return Optional.empty();
        }
    }

    private static String issuer(JwtClaims claims) {
        return claims.getClaimValue("iss") instanceof String issuer ? issuer : null;
    }

    /** Who the token names; Kubernetes adds its {@code kubernetes.io} claim (namespace, service account, pod, node). */
    private static Workload workload(String issuer, JwtClaims claims) throws MalformedClaimException {
        Map<?, ?> kubernetes = claims.getClaimValue("kubernetes.io") instanceof Map<?, ?> map ? map : Map.of();
        return new Workload(issuer, claims.getSubject(), text(kubernetes.get("namespace")),
                name(kubernetes.get("serviceaccount")), name(kubernetes.get("pod")), name(kubernetes.get("node")));
    }

    private static String name(Object object) {
        return object instanceof Map<?, ?> map ? text(map.get("name")) : "";
    }

    private static String text(Object value) {
        return value instanceof String text ? text : "";
    }
}
