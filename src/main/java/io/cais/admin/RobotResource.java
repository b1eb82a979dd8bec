package io.cais.admin;

import io.cais.auth.AccessControl;
import io.cais.auth.Action;
import io.cais.auth.Authorize;
import io.cais.auth.CredentialExports;
import io.cais.auth.Credentials;
import io.cais.auth.Glob;
import io.cais.auth.Rule;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.Account;
import io.cais.metadata.AccountStore;
import io.cais.metadata.Namespace;
import io.cais.metadata.NamespaceStore;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.net.URI;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Robot accounts of a namespace: machine credentials named {@code <namespace>+<robot>}, with their own actions and
 * repository patterns, handed out with ready-to-use exports (a Docker config.json and a Kubernetes pull Secret).
 * A secret is shown once: at creation and at rotation.
 */
@Path("/api/v1/namespaces/{namespace}/robots")
@RunOnVirtualThread
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class RobotResource {

    private static final Pattern ROBOT_NAME = Pattern.compile("[a-z0-9]+(?:[._-][a-z0-9]+)*");
    private static final Pattern REPOSITORY_PATTERN = Pattern.compile("[a-z0-9._/*?-]{1,255}");
    private static final String YAML = "application/yaml";

    @Inject
    AccessControl access;

    @Inject
    NamespaceStore namespaces;

    @Inject
    AccountStore accounts;

    public record NewRobot(String name, List<String> actions, List<String> repositories, OffsetDateTime expiresAt) {
    }

    public record RobotView(String name, List<String> actions, List<String> repositories, OffsetDateTime expiresAt,
                            OffsetDateTime createdAt) {
        static RobotView of(Account robot) {
            return new RobotView(robot.name, split(robot.actions), split(robot.repositories), robot.expiresAt, robot.createdAt);
        }
    }

    public record RobotCredentials(RobotView robot, String username, String secret, String dockerconfigjson,
                                   String kubernetesSecret) {
    }

    @POST
    @Authorize(Rule.NAMESPACE_ADMIN)
    public Response create(@PathParam("namespace") String namespaceName, NewRobot body,
                           @QueryParam("format") String format, @QueryParam("secretName") String secretName,
                           @QueryParam("secretNamespace") String secretNamespace) {
        Namespace namespace = namespaces.require(namespaceName);
        NamespaceResource.require(body);
        Export export = Export.of(format, secretName, secretNamespace);
        if (body.name() == null || body.name().length() > 64 || !ROBOT_NAME.matcher(body.name()).matches()) {
            throw new RegistryException(ErrorCode.NAME_INVALID,
                    "a robot name is lowercase letters and digits separated by '.', '_' or '-' (at most 64)", body.name());
        }
        Set<Action> actions = actions(body.actions());
        List<String> patterns = patterns(body.repositories());
        if (body.expiresAt() != null && body.expiresAt().isBefore(OffsetDateTime.now())) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "expiresAt is in the past", body.expiresAt().toString());
        }
        String fullName = namespace.name + "+" + body.name();
        String secret = Credentials.newSecret();
        Account robot = new Account();
        robot.name = fullName;
        robot.kind = Account.ROBOT;
        robot.namespaceId = namespace.id;
        robot.credentialHash = Credentials.sha256(secret);
        robot.actions = Action.wireList(actions);
        robot.repositories = String.join(",", patterns);
        robot.expiresAt = body.expiresAt();
        accounts.create(robot);
        return answer(Response.created(URI.create("/api/v1/namespaces/" + namespace.name + "/robots/" + body.name())),
                robot, secret, export);
    }

    @GET
    @Authorize(Rule.NAMESPACE_ADMIN)
    public List<RobotView> list(@PathParam("namespace") String namespaceName) {
        return accounts.robots(namespaces.require(namespaceName)).stream().map(RobotView::of).toList();
    }

    @DELETE
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{robot}")
    public Response delete(@PathParam("namespace") String namespaceName, @PathParam("robot") String name) {
        accounts.delete(robot(namespaceName, name));
        return Response.noContent().build();
    }

    /** A new secret; the old one stops working at once. */
    @POST
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{robot}/secret")
    public Response rotate(@PathParam("namespace") String namespaceName, @PathParam("robot") String name,
                           @QueryParam("format") String format, @QueryParam("secretName") String secretName,
                           @QueryParam("secretNamespace") String secretNamespace) {
        Export export = Export.of(format, secretName, secretNamespace);
        Account robot = robot(namespaceName, name);
        String secret = Credentials.newSecret();
        accounts.setCredential(robot, Credentials.sha256(secret));
        return answer(Response.ok(), robot, secret, export);
    }

    /** How the credentials are handed out; checked before anything is written, so a bad request changes nothing. */
    private record Export(String format, String secretName, String secretNamespace) {
        static Export of(String format, String secretName, String secretNamespace) {
            if (secretName != null && !Namespaces.NAME.matcher(secretName).matches()) {
                throw new RegistryException(ErrorCode.INVALID_REQUEST, "secretName must be a DNS-1123 name", secretName);
            }
            if (secretNamespace != null && !Namespaces.NAME.matcher(secretNamespace).matches()) {
                throw new RegistryException(ErrorCode.INVALID_REQUEST, "secretNamespace must be a DNS-1123 label", secretNamespace);
            }
            String chosen = format == null ? "" : format;
            if (!List.of("", "dockerconfigjson", "kubernetes-secret").contains(chosen)) {
                throw new RegistryException(ErrorCode.INVALID_REQUEST, "format must be dockerconfigjson or kubernetes-secret", format);
            }
            return new Export(chosen, secretName, secretNamespace);
        }
    }

    private Response answer(Response.ResponseBuilder response, Account robot, String secret, Export export) {
        String host = registryHost();
        String name = export.secretName() != null ? export.secretName() : kubernetesName(robot.name) + "-pull-secret";
        String dockerConfig = CredentialExports.dockerConfigJson(host, robot.name, secret);
        String kubernetes = CredentialExports.kubernetesSecret(name, export.secretNamespace(), host, robot.name, secret);
        return switch (export.format()) {
            case "dockerconfigjson" -> response.entity(dockerConfig).type(MediaType.APPLICATION_JSON_TYPE).build();
            case "kubernetes-secret" -> response.entity(kubernetes).type(YAML).build();
            default -> response.entity(new RobotCredentials(RobotView.of(robot), robot.name, secret, dockerConfig, kubernetes)).build();
        };
    }

    /** A robot's name as a DNS-1123 name: {@code +}, {@code _} and runs of separators become one {@code -}. */
    static String kubernetesName(String robotName) {
        return robotName.replaceAll("[+_.-]+", "-");
    }

    /** host[:port] of the registry, as clients address it. */
    private String registryHost() {
        return URI.create(access.externalUrl()).getRawAuthority();
    }

    private Account robot(String namespaceName, String name) {
        return accounts.robot(namespaces.require(namespaceName).name + "+" + name);
    }

    static Set<Action> actions(List<String> values) {
        if (values == null || values.isEmpty()) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "actions must list at least one of pull, push, delete");
        }
        Set<Action> actions = java.util.EnumSet.noneOf(Action.class);
        for (String value : values) {
            actions.add(Action.parse(value).orElseThrow(() ->
                    new RegistryException(ErrorCode.INVALID_REQUEST, "unknown action (pull, push, delete)", value)));
        }
        return actions;
    }

    static List<String> patterns(List<String> values) {
        if (values == null || values.isEmpty()) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST,
                    "repositories must list at least one pattern inside the namespace (e.g. \"*\" or \"app-*\")");
        }
        for (String value : values) {
            if (value == null || !REPOSITORY_PATTERN.matcher(value).matches()) {
                throw new RegistryException(ErrorCode.INVALID_REQUEST,
                        "a repository pattern is a repository path inside the namespace, with * and ? as wildcards", value);
            }
            if (Glob.wildcards(value) > Glob.MAX_WILDCARDS) {
                throw new RegistryException(ErrorCode.INVALID_REQUEST,
                        "a repository pattern has at most " + Glob.MAX_WILDCARDS + " wildcards", value);
            }
        }
        return List.copyOf(values);
    }

    static List<String> split(String value) {
        return value.isEmpty() ? List.of() : Arrays.asList(value.split(","));
    }
}
