package io.cais.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cais.auth.workload.WorkloadTokens;
import io.cais.content.RepositoryName;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.Account;
import io.cais.observability.AuthMetrics;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The token endpoint of Distribution's token authentication: {@code GET} with Basic credentials (or none) and
 * repeated {@code scope}s, and the OAuth2 {@code POST} form (grant types {@code password} and
 * {@code refresh_token}) that docker and containerd use, plus the RFC 8693 token exchange of a workload's token. It
 * grants what was asked intersected with what is allowed: asking for more never fails, it grants less. A workload
 * (its token as the password of {@value WorkloadTokens#USERNAME}, or exchanged) gets a token that expires no later
 * than its own, and no refresh token.
 */
@Path("/auth/token")
@RunOnVirtualThread
@Produces(MediaType.APPLICATION_JSON)
public class TokenResource {

    private static final String TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
    private static final Set<String> JWT_TOKEN_TYPES =
            Set.of("urn:ietf:params:oauth:token-type:jwt", "urn:ietf:params:oauth:token-type:id_token");

    @Inject
    Authenticator authenticator;

    @Inject
    AccessControl access;

    @Inject
    Tokens tokens;

    @Inject
    AuthMetrics metrics;

    @Inject
    ObjectMapper json;

    /** Scopes may come as repeated {@code scope} parameters, space-separated in one, or both. */
    @GET
    @Authorize(Rule.ANYONE)
    public byte[] get(@HeaderParam("Authorization") String authorization,
                      @QueryParam("scope") List<String> scopes,
                      @QueryParam("offline_token") boolean offline) {
        Caller caller = access.caller();
        if (caller instanceof Caller.Bearer) {
            throw new RegistryException(ErrorCode.UNAUTHORIZED, "use Basic credentials or none to obtain a token");
        }
        return answer(caller, split(scopes), offline && caller instanceof Caller.Member);
    }

    /**
     * The OAuth2 form. Its body is decoded here rather than by the framework, so that a malformed encoding is the
     * client's {@code 400}, not a server error.
     */
    @POST
    @Authorize(Rule.ANYONE)
    @Consumes(MediaType.APPLICATION_FORM_URLENCODED)
    public byte[] post(String body) {
        Map<String, String> form = form(body);
        String grantType = form.get("grant_type");
        String username = form.get("username");
        String password = form.get("password");
        String refreshToken = form.get("refresh_token");
        String scope = form.get("scope");
        Caller caller = switch (grantType == null ? "" : grantType) {
            case "password" -> authenticator.login(nonNull(username), nonNull(password));
            case "refresh_token" -> new Caller.Member(authenticator.fromRefreshToken(nonNull(refreshToken)).orElseThrow(() -> {
                metrics.failed(AuthMetrics.Failure.INVALID_CREDENTIALS);
                return new RegistryException(ErrorCode.UNAUTHORIZED, "invalid or revoked refresh token");
            }));
            case TOKEN_EXCHANGE -> authenticator.login(WorkloadTokens.USERNAME, exchanged(form));
            default -> throw new RegistryException(ErrorCode.UNSUPPORTED, "unsupported grant_type", grantType).withStatus(400);
        };
        access.identified(caller);
        // Distribution's OAuth2 token flow: a refresh token only for access_type=offline (docker login asks for
        // one; containerd's pulls do not, and signing one they would throw away costs a signature per pull).
        return answer(caller, split(scope == null ? List.of() : List.of(scope)),
                caller instanceof Caller.Member && "offline".equals(form.get("access_type")));
    }

    /** RFC 8693: the subject token must be a JWT (a Kubernetes service-account token, an OIDC ID token). */
    private static String exchanged(Map<String, String> form) {
        String type = form.get("subject_token_type");
        if (type != null && !JWT_TOKEN_TYPES.contains(type)) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, "subject_token_type must be a JWT", type).withStatus(400);
        }
        return nonNull(form.get("subject_token"));
    }

    /** {@code application/x-www-form-urlencoded}: the first value of each name, UTF-8. */
    private static Map<String, String> form(String body) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String pair : body == null ? new String[0] : body.split("&")) {
            int equals = pair.indexOf('=');
            try {
                String name = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
                String value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
                values.putIfAbsent(name, value);
            } catch (IllegalArgumentException e) {
                throw new RegistryException(ErrorCode.INVALID_REQUEST, "malformed form encoding");
            }
        }
        return values;
    }

    private static List<String> split(List<String> values) {
        List<String> scopes = new ArrayList<>();
        for (String value : values == null ? List.<String>of() : values) {
            for (String scope : value.trim().split("\\s+")) {
                if (!scope.isEmpty()) {
                    scopes.add(scope);
                }
            }
        }
        return scopes;
    }

    /**
     * The token response, serialized to bytes here: Quarkus REST then ends the response with them in one hand-over to
     * the event loop, where Jackson streaming into the response from this virtual thread took several (about a
     * tenth of a kubelet pull cycle's CPU).
     */
    private byte[] answer(Caller caller, List<String> scopes, boolean withRefreshToken) {
        Account account = caller instanceof Caller.Member member ? member.account() : null;
        List<Grant> grants = new ArrayList<>();
        for (String scope : scopes) {
            grant(caller, account, scope).ifPresent(grants::add);
        }
        Tokens.Issued issued = caller instanceof Caller.Federated federated
                ? tokens.issueAccess(federated.name(), grants, federated.identity().workload(), federated.identity().expiresAt())
                : tokens.issueAccess(account == null ? null : account.name,
                        account == null ? null : Credentials.fingerprint(account.credentialHash), grants);
        metrics.tokenIssued();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("token", issued.token());
        body.put("access_token", issued.token());
        body.put("expires_in", issued.expiresIn());
        body.put("issued_at", DateTimeFormatter.ISO_INSTANT.format(issued.issuedAt()));
        if (withRefreshToken) {
            body.put("refresh_token", tokens.issueRefresh(account.name, Credentials.fingerprint(account.credentialHash)).token());
        }
        try {
            return json.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a token response", e);
        }
    }

    /** {@code repository:<name>:<actions>} or {@code registry:catalog:*} (accounts only); anything else grants nothing. */
    private Optional<Grant> grant(Caller caller, Account account, String scope) {
        int first = scope.indexOf(':');
        int last = scope.lastIndexOf(':');
        if (first < 0 || last == first) {
            return Optional.empty();
        }
        String type = scope.substring(0, first);
        String name = scope.substring(first + 1, last);
        if (Grant.REGISTRY.equals(type) && Grant.CATALOG.equals(name) && account != null) {
            return Optional.of(new Grant(Grant.REGISTRY, Grant.CATALOG, EnumSet.allOf(Action.class)));
        }
        if (!Grant.REPOSITORY.equals(type) || !RepositoryName.isValid(name)) {
            return Optional.empty();
        }
        Set<Action> granted = Action.parseList(scope.substring(last + 1));
        granted.retainAll(access.allowed(caller, name));
        return Optional.of(new Grant(Grant.REPOSITORY, name, granted));
    }

    private static String nonNull(String value) {
        if (value == null) {
            throw new RegistryException(ErrorCode.UNAUTHORIZED, "credentials are missing");
        }
        return value;
    }
}
