package io.cais.auth.workload;

import io.cais.auth.Action;
import io.cais.auth.Glob;
import io.cais.metadata.TrustedIssuerStore;
import io.cais.metadata.WorkloadRuleStore;
import io.cais.metadata.postgres.ReplicatedMemory;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jwt.consumer.JwtConsumer;
import org.jose4j.jwt.consumer.JwtConsumerBuilder;
import org.jose4j.keys.resolvers.JwksVerificationKeyResolver;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The trust configuration as verification needs it: for an issuer, each namespace's keys (ready to verify with),
 * audience and rules. Each replica remembers what it read per issuer and forgets all of it whenever any replica (or
 * an operator's SQL) changes an issuer or a rule — the V8 triggers notify every replica through
 * {@link io.cais.metadata.postgres.ChangeListener} — so replaced keys take effect at once everywhere. While that listener is
 * not connected, nothing is remembered and every verification reads PostgreSQL.
 */
@ApplicationScoped
public class TrustedIssuers extends ReplicatedMemory {

    static final String CHANNEL = "cais_workload_trust_change";
    private static final Logger LOG = Logger.getLogger(TrustedIssuers.class);
    /** Kubernetes signs service-account tokens with RS256; ES256 for issuers that use EC keys. Nothing else. */
    private static final AlgorithmConstraints RS256_OR_ES256 = new AlgorithmConstraints(
            AlgorithmConstraints.ConstraintType.PERMIT, AlgorithmIdentifiers.RSA_USING_SHA256,
            AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256);
    /** Clocks of the cluster and of the replicas differ a little; not-before and expiry allow this much. */
    static final int CLOCK_SKEW_SECONDS = 30;
    /** Issuers remembered at most (tokens of unknown issuers are remembered as trusted by nobody). */
    private static final int MAX_ISSUERS = 10_000;

    /** A namespace's trust in an issuer: a consumer that checks keys, issuer, audience and lifetime, and its rules. */
    public record Trust(String namespace, JwtConsumer consumer, List<SubjectRule> rules) {
    }

    /** Subjects matching the glob get the actions on the repositories (comma-separated globs in the namespace). */
    public record SubjectRule(Glob subject, Set<Action> actions, String repositories) {
    }

    @Inject
    TrustedIssuerStore issuers;

    @Inject
    WorkloadRuleStore rules;

    private final Map<String, List<Trust>> byIssuer = new ConcurrentHashMap<>();

    /** Every namespace's trust in this issuer; empty when no namespace trusts it. */
    public List<Trust> trusting(String issuer) {
        List<Trust> known = remembering() ? byIssuer.get(issuer) : null;
        if (known != null) {
            return known;
        }
        long seen = generation();
        List<Trust> loaded = load(issuer);
        remember(seen, () -> {
            if (byIssuer.size() >= MAX_ISSUERS) {
                byIssuer.clear();
            }
            byIssuer.put(issuer, loaded);
        });
        return loaded;
    }

    @Override
    protected void clear() {
        byIssuer.clear();
    }

    @Override
    public String channel() {
        return CHANNEL;
    }


    private List<Trust> load(String issuer) {
        List<TrustedIssuerStore.StoredIssuer> stored = issuers.trusting(issuer);
        if (stored.isEmpty()) {
            return List.of();
        }
        List<WorkloadRuleStore.StoredRule> storedRules = rules.ofIssuer(issuer);
        List<Trust> trusts = new ArrayList<>();
        for (TrustedIssuerStore.StoredIssuer trust : stored) {
            List<JsonWebKey> keys;
            try {
                keys = JwksDocument.keys(trust.jwks());
            } catch (RuntimeException e) {
                // Only SQL run by hand can store such a document: the API refuses it.
                LOG.warnf("ignoring the trust of namespace %s in %s: its key set is unusable (%s)", trust.namespace(),
                        issuer, e.getMessage());
                continue;
            }
            List<SubjectRule> subjectRules = storedRules.stream().filter(rule -> rule.issuerId() == trust.id())
                    .map(rule -> new SubjectRule(Glob.parse(rule.subject()), Action.parseList(rule.actions()), rule.repositories()))
                    .toList();
            trusts.add(new Trust(trust.namespace(), consumer(trust.issuer(), trust.audience(), keys), subjectRules));
        }
        return List.copyOf(trusts);
    }

    /** Signature by one of the keys with RS256 or ES256, exactly this issuer and audience, a subject, within its lifetime. */
    private static JwtConsumer consumer(String issuer, String audience, List<JsonWebKey> keys) {
        JwksVerificationKeyResolver resolver = new JwksVerificationKeyResolver(keys);
        // A token without a kid, against a set of several keys of its type: the key its signature verifies with.
        resolver.setDisambiguateWithVerifySignature(true);
        return new JwtConsumerBuilder()
                .setJwsAlgorithmConstraints(RS256_OR_ES256)
                .setVerificationKeyResolver(resolver)
                .setExpectedIssuer(issuer)
                .setExpectedAudience(audience)
                .setRequireExpirationTime()
                .setRequireSubject()
                .setAllowedClockSkewInSeconds(CLOCK_SKEW_SECONDS)
                .build();
    }
}
