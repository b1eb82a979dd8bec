package io.cais.auth;

import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.Account;
import io.cais.metadata.AccountStore;
import io.cais.metadata.Namespace;
import io.cais.metadata.NamespaceStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.net.URI;
import java.time.OffsetDateTime;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Robot accounts of a namespace: machine credentials named {@code <namespace>+<robot>}, with their own actions and
 * repository patterns, and the exports they are handed out with ({@link CredentialExports}). The admin API and the
 * web console both create, rotate and export robots here, so both hand out the same bytes.
 */
@ApplicationScoped
public class Robots {

    private static final Pattern ROBOT_NAME = Pattern.compile("[a-z0-9]+(?:[._-][a-z0-9]+)*");
    private static final Pattern REPOSITORY_PATTERN = Pattern.compile("[a-z0-9._/*?-]{1,255}");

    @Inject
    AccessControl access;

    @Inject
    NamespaceStore namespaces;

    @Inject
    AccountStore accounts;

    /** A robot with its secret, which exists in clear only in the answer to a creation or a rotation. */
    public record Credential(Account robot, String secret) {
    }

    /**
     * What a robot's credential is handed out as: a Docker {@code config.json} and a Kubernetes pull Secret named
     * {@code secretName} (in {@code secretNamespace}, when given), for the registry at {@code host}.
     */
    public record Exports(String host, String username, String secret, String secretName, String dockerConfigJson,
                          String kubernetesSecret) {
    }

    /** Creates the robot; the name, actions, patterns and expiry are checked before anything is written. */
    public Credential create(Namespace namespace, String name, List<String> actions, List<String> repositories,
                             OffsetDateTime expiresAt) {
        if (name == null || name.length() > 64 || !ROBOT_NAME.matcher(name).matches()) {
            throw new RegistryException(ErrorCode.NAME_INVALID,
                    "a robot name is lowercase letters and digits separated by '.', '_' or '-' (at most 64)", name);
        }
        Set<Action> allowed = actions(actions);
        List<String> patterns = patterns(repositories);
        if (expiresAt != null && expiresAt.isBefore(OffsetDateTime.now())) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "expiresAt is in the past", expiresAt.toString());
        }
        String secret = Credentials.newSecret();
        Account robot = new Account();
        robot.name = namespace.name + "+" + name;
        robot.kind = Account.ROBOT;
        robot.namespaceId = namespace.id;
        robot.credentialHash = Credentials.sha256(secret);
        robot.actions = Action.wireList(allowed);
        robot.repositories = String.join(",", patterns);
        robot.expiresAt = expiresAt;
        accounts.create(robot);
        return new Credential(robot, secret);
    }

    /** A new secret for the robot {@code <namespace>+<name>}; the old one stops working at once. */
    public Credential rotate(String namespace, String name) {
        Account robot = robot(namespace, name);
        String secret = Credentials.newSecret();
        accounts.setCredential(robot, Credentials.sha256(secret));
        return new Credential(robot, secret);
    }

    public void delete(String namespace, String name) {
        accounts.delete(robot(namespace, name));
    }

    public List<Account> list(String namespace) {
        return accounts.robots(namespaces.require(namespace));
    }

    /** The exports of a credential; {@code secretName} null: {@code <robot name as DNS-1123>-pull-secret}. */
    public Exports exports(Credential credential, String secretName, String secretNamespace) {
        String host = URI.create(access.externalUrl()).getRawAuthority();
        String username = credential.robot().name;
        String name = secretName != null ? secretName : kubernetesName(username) + "-pull-secret";
        return new Exports(host, username, credential.secret(), name,
                CredentialExports.dockerConfigJson(host, username, credential.secret()),
                CredentialExports.kubernetesSecret(name, secretNamespace, host, username, credential.secret()));
    }

    /** A robot's name as a DNS-1123 name: {@code +}, {@code _} and runs of separators become one {@code -}. */
    static String kubernetesName(String robotName) {
        return robotName.replaceAll("[+_.-]+", "-");
    }

    private Account robot(String namespace, String name) {
        return accounts.robot(namespaces.require(namespace).name + "+" + name);
    }

    public static Set<Action> actions(List<String> values) {
        if (values == null || values.isEmpty()) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "actions must list at least one of pull, push, delete");
        }
        Set<Action> actions = EnumSet.noneOf(Action.class);
        for (String value : values) {
            actions.add(Action.parse(value).orElseThrow(() ->
                    new RegistryException(ErrorCode.INVALID_REQUEST, "unknown action (pull, push, delete)", value)));
        }
        return actions;
    }

    public static List<String> patterns(List<String> values) {
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
}
