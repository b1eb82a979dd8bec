package io.cais.admin;

import com.fasterxml.jackson.databind.JsonNode;
import io.cais.auth.Action;
import io.cais.auth.AuthConfig;
import io.cais.auth.Authorize;
import io.cais.auth.Glob;
import io.cais.auth.Rule;
import io.cais.auth.workload.JwksDocument;
import io.cais.auth.workload.TrustedIssuers;
import io.cais.auth.workload.WorkloadIdentityConfig;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.TrustedIssuerStore;
import io.cais.metadata.TrustedIssuerStore.StoredIssuer;
import io.cais.metadata.WorkloadRuleStore;
import io.cais.metadata.WorkloadRuleStore.StoredRule;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jose4j.jwk.JsonWebKey;

import java.net.URI;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * The token issuers a namespace trusts (workload identity): a Kubernetes cluster's service-account signer or a CI
 * system's OIDC issuer, with its public keys as an uploaded JWKS document — Cais never calls the issuer — and the
 * rules that map its tokens' subjects to actions on this namespace's repositories. Every change takes effect at once
 * on every replica.
 */
@Path("/api/v1/namespaces/{namespace}/trusted-issuers")
@RunOnVirtualThread
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class TrustedIssuerResource {

    private static final int MAX_ISSUER_LENGTH = 1024;
    private static final int MAX_SUBJECT_LENGTH = 512;

    @Inject
    TrustedIssuerStore issuers;

    @Inject
    WorkloadRuleStore rules;

    @Inject
    TrustedIssuers trusted;

    @Inject
    WorkloadIdentityConfig config;

    @Inject
    AuthConfig auth;

    /** {@code jwks}: the key set document itself (a JSON object), or a string holding it. */
    public record NewTrustedIssuer(String name, String issuer, String audience, JsonNode jwks) {
    }

    public record KeyView(String kid, String kty, String alg) {
    }

    public record TrustedIssuerView(String name, String issuer, String audience, List<KeyView> keys,
                                    OffsetDateTime createdAt, OffsetDateTime keysUpdatedAt) {
        static TrustedIssuerView of(StoredIssuer stored) {
            List<KeyView> keys = JwksDocument.keys(stored.jwks()).stream()
                    .map(key -> new KeyView(key.getKeyId(), key.getKeyType(), key.getAlgorithm())).toList();
            return new TrustedIssuerView(stored.name(), stored.issuer(), stored.audience(), keys, stored.createdAt(),
                    stored.keysUpdatedAt());
        }
    }

    public record NewRule(String subject, List<String> actions, List<String> repositories) {
    }

    public record RuleView(long id, String subject, List<String> actions, List<String> repositories, OffsetDateTime createdAt) {
        static RuleView of(StoredRule rule) {
            return new RuleView(rule.id(), rule.subject(), RobotResource.split(rule.actions()),
                    RobotResource.split(rule.repositories()), rule.createdAt());
        }
    }

    @POST
    @Authorize(Rule.NAMESPACE_ADMIN)
    public Response create(@PathParam("namespace") String namespace, NewTrustedIssuer body) {
        NamespaceResource.require(body);
        String name = name(body.name());
        String issuer = body.issuer();
        if (issuer == null || issuer.isBlank() || issuer.length() > MAX_ISSUER_LENGTH || !issuer.strip().equals(issuer)) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST,
                    "issuer is the tokens' \"iss\" exactly, e.g. https://kubernetes.default.svc.cluster.local", issuer);
        }
        String audience = body.audience() == null ? config.defaultAudience().orElse(auth.service()) : body.audience();
        if (audience.isBlank()) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "audience must not be blank");
        }
        if (body.jwks() == null || body.jwks().isNull()) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST,
                    "jwks is required: the issuer's public keys, e.g. the output of `kubectl get --raw /openid/v1/jwks`");
        }
        String jwks = keySet(body.jwks().isTextual() ? body.jwks().asText() : body.jwks().toString());
        if (!issuers.create(namespace, name, issuer, audience, jwks)) {
            throw new RegistryException(ErrorCode.CONFLICT,
                    "namespace '" + namespace + "' already trusts an issuer named '" + name + "' or with that issuer", name);
        }
        trusted.forget();
        return Response.created(URI.create("/api/v1/namespaces/" + namespace + "/trusted-issuers/" + name))
                .entity(TrustedIssuerView.of(find(namespace, name))).build();
    }

    @GET
    @Authorize(Rule.NAMESPACE_ADMIN)
    public List<TrustedIssuerView> list(@PathParam("namespace") String namespace) {
        return issuers.list(namespace).stream().map(TrustedIssuerView::of).toList();
    }

    @GET
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{issuer}")
    public TrustedIssuerView get(@PathParam("namespace") String namespace, @PathParam("issuer") String name) {
        return TrustedIssuerView.of(find(namespace, name));
    }

    /** Replaces the keys with the uploaded key set document; tokens signed with keys no longer in it stop verifying at once. */
    @PUT
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{issuer}/jwks")
    public TrustedIssuerView replaceKeys(@PathParam("namespace") String namespace, @PathParam("issuer") String name,
                                         String body) {
        if (!issuers.replaceKeys(namespace, name, keySet(body))) {
            throw unknown(namespace, name);
        }
        trusted.forget();
        return TrustedIssuerView.of(find(namespace, name));
    }

    @DELETE
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{issuer}")
    public Response delete(@PathParam("namespace") String namespace, @PathParam("issuer") String name) {
        if (!issuers.delete(namespace, name)) {
            throw unknown(namespace, name);
        }
        trusted.forget();
        return Response.noContent().build();
    }

    /** Subjects matching {@code subject} (a glob: {@code *} any run, {@code ?} one character) get the actions. */
    @POST
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{issuer}/rules")
    public Response addRule(@PathParam("namespace") String namespace, @PathParam("issuer") String name, NewRule body) {
        NamespaceResource.require(body);
        String subject = body.subject();
        if (subject == null || subject.isEmpty() || subject.length() > MAX_SUBJECT_LENGTH || subject.contains(",")
                || Glob.wildcards(subject) > Glob.MAX_WILDCARDS) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "subject is the tokens' \"sub\" with at most "
                    + Glob.MAX_WILDCARDS + " wildcards, e.g. system:serviceaccount:payments:*", subject);
        }
        String actions = Action.wireList(RobotResource.actions(body.actions()));
        String repositories = String.join(",", RobotResource.patterns(body.repositories()));
        StoredRule rule = rules.add(namespace, name, subject, actions, repositories).orElseThrow(() -> unknown(namespace, name));
        trusted.forget();
        return Response.created(URI.create("/api/v1/namespaces/" + namespace + "/trusted-issuers/" + name + "/rules/" + rule.id()))
                .entity(RuleView.of(rule)).build();
    }

    @GET
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{issuer}/rules")
    public List<RuleView> rules(@PathParam("namespace") String namespace, @PathParam("issuer") String name) {
        find(namespace, name);
        return rules.list(namespace, name).stream().map(RuleView::of).toList();
    }

    @DELETE
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{issuer}/rules/{rule}")
    public Response deleteRule(@PathParam("namespace") String namespace, @PathParam("issuer") String name,
                               @PathParam("rule") long id) {
        if (!rules.delete(namespace, name, id)) {
            throw new RegistryException(ErrorCode.NOT_FOUND, "trusted issuer '" + name + "' has no rule " + id, id);
        }
        trusted.forget();
        return Response.noContent().build();
    }

    private StoredIssuer find(String namespace, String name) {
        return issuers.find(namespace, name).orElseThrow(() -> unknown(namespace, name));
    }

    private static String name(String name) {
        if (name == null || name.length() > 64 || !Namespaces.NAME.matcher(name).matches()) {
            throw new RegistryException(ErrorCode.NAME_INVALID,
                    "a trusted issuer's name is lowercase letters and digits, separated by '.', '_' or '-' (at most 64)", name);
        }
        return name;
    }

    private static String keySet(String document) {
        List<JsonWebKey> keys = JwksDocument.keys(document);
        return JwksDocument.normalised(keys);
    }

    private static RegistryException unknown(String namespace, String name) {
        return new RegistryException(ErrorCode.NOT_FOUND,
                "namespace '" + namespace + "' trusts no issuer named '" + name + "'", name);
    }
}
