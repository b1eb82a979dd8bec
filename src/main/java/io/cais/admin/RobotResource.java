package io.cais.admin;

import io.cais.auth.Action;
import io.cais.auth.Authorize;
import io.cais.auth.Robots;
import io.cais.auth.Rule;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.Account;
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

    private static final String YAML = "application/yaml";

    @Inject
    NamespaceStore namespaces;

    @Inject
    Robots robots;

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
        Robots.Credential created = robots.create(namespace, body.name(), body.actions(), body.repositories(), body.expiresAt());
        return answer(Response.created(URI.create("/api/v1/namespaces/" + namespace.name + "/robots/" + body.name())),
                created, export);
    }

    @GET
    @Authorize(Rule.NAMESPACE_ADMIN)
    public List<RobotView> list(@PathParam("namespace") String namespaceName) {
        return robots.list(namespaceName).stream().map(RobotView::of).toList();
    }

    @DELETE
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{robot}")
    public Response delete(@PathParam("namespace") String namespaceName, @PathParam("robot") String name) {
        robots.delete(namespaceName, name);
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
        return answer(Response.ok(), robots.rotate(namespaceName, name), export);
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

    private Response answer(Response.ResponseBuilder response, Robots.Credential credential, Export export) {
        Robots.Exports exports = robots.exports(credential, export.secretName(), export.secretNamespace());
        return switch (export.format()) {
            case "dockerconfigjson" -> response.entity(exports.dockerConfigJson()).type(MediaType.APPLICATION_JSON_TYPE).build();
            case "kubernetes-secret" -> response.entity(exports.kubernetesSecret()).type(YAML).build();
            default -> response.entity(new RobotCredentials(RobotView.of(credential.robot()), exports.username(),
                    exports.secret(), exports.dockerConfigJson(), exports.kubernetesSecret())).build();
        };
    }

    static Set<Action> actions(List<String> values) {
        return Robots.actions(values);
    }

    static List<String> patterns(List<String> values) {
        return Robots.patterns(values);
    }

    static List<String> split(String value) {
        return value.isEmpty() ? List.of() : Arrays.asList(value.split(","));
    }
}
