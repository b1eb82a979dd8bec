package io.cais.testing;

import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;

/** Drives the admin REST API as the test administrator, to set up tenants, users and robots. */
public final class AdminApi {

    private AdminApi() {
    }

    public static RequestSpecification asAdmin() {
        return given().header("Authorization", Admin.basic()).contentType(ContentType.JSON);
    }

    public static RequestSpecification as(String user, String password) {
        return given().header("Authorization", Admin.basic(user, password)).contentType(ContentType.JSON);
    }

    /** A new namespace with a unique name starting with {@code prefix}. */
    public static String namespace(String prefix, String visibility) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        asAdmin().body(Map.of("name", name, "visibility", visibility)).post("/api/v1/namespaces").then().statusCode(201);
        return name;
    }

    /** Switches the namespace's arch aliases ({@code <name>-<arch>} served from {@code <name>}'s index) on or off. */
    public static void archAliases(String namespace, boolean on) {
        asAdmin().body(Map.of("archAliases", on)).patch("/api/v1/namespaces/" + namespace).then().statusCode(200);
    }

    public static String user(String prefix, String password) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        asAdmin().body(Map.of("name", name, "password", password)).post("/api/v1/users").then().statusCode(201);
        return name;
    }

    /** {@code POST /api/v1/imports/{repository}} of an OCI image layout tar (gzip-compressed or not). */
    public static io.restassured.response.ValidatableResponse importLayout(String repository, byte[] tar, String authorization) {
        return given().header("Authorization", authorization).contentType("application/x-tar").body(tar)
                .post("/api/v1/imports/" + repository).then();
    }

    /** A new user (password {@code <role>-password}) who is a {@code role} member of the namespace; its name. */
    public static String newMember(String namespace, String role) {
        String user = user(role, role + "-password");
        member(namespace, user, role);
        return user;
    }

    public static void member(String namespace, String user, String role) {
        asAdmin().body(Map.of("role", role)).put("/api/v1/namespaces/" + namespace + "/members/" + user).then().statusCode(200);
    }

    /** A robot's credentials and exports as the creation response gives them. */
    public record Robot(String username, String secret, String dockerConfigJson, String kubernetesSecret) {
        public String basic() {
            return Admin.basic(username, secret);
        }
    }

    public static Robot robot(String namespace, String name, List<String> actions, List<String> repositories, String expiresAt) {
        Map<String, Object> body = new java.util.HashMap<>(Map.of("name", name, "actions", actions, "repositories", repositories));
        if (expiresAt != null) {
            body.put("expiresAt", expiresAt);
        }
        JsonPath created = asAdmin().body(body).post("/api/v1/namespaces/" + namespace + "/robots")
                .then().statusCode(201).extract().jsonPath();
        return new Robot(created.getString("username"), created.getString("secret"), created.getString("dockerconfigjson"),
                created.getString("kubernetesSecret"));
    }

    /** Makes the namespace trust the signer's issuer (its key set uploaded, the default audience) under {@code name}. */
    public static void trust(String namespace, String name, ServiceAccountSigner signer) {
        asAdmin().body(Map.of("name", name, "issuer", signer.issuer(), "jwks", signer.jwks()))
                .post("/api/v1/namespaces/" + namespace + "/trusted-issuers").then().statusCode(201);
    }

    /** A rule of the namespace's trusted issuer {@code name}: subjects matching the glob get the actions. */
    public static void workloadRule(String namespace, String name, String subject, List<String> actions, List<String> repositories) {
        asAdmin().body(Map.of("subject", subject, "actions", actions, "repositories", repositories))
                .post("/api/v1/namespaces/" + namespace + "/trusted-issuers/" + name + "/rules").then().statusCode(201);
    }

    /**
     * Makes the namespace trust the cluster under the name "prod" and let every service account of the Kubernetes
     * namespace {@code kubernetesNamespace} pull every repository.
     */
    public static void trustPullsFrom(String namespace, ServiceAccountSigner cluster, String kubernetesNamespace) {
        trust(namespace, "prod", cluster);
        workloadRule(namespace, "prod", "system:serviceaccount:" + kubernetesNamespace + ":*", List.of("pull"), List.of("*"));
    }

    /** Adds a tag policy to the namespace ({@code kind}: immutable or blocked) for every repository. */
    public static void tagPolicy(String namespace, String name, String kind, List<String> tags, List<String> exclusions) {
        tagPolicy(namespace, Map.of("name", name, "kind", kind, "tags", tags, "exclusions", exclusions));
    }

    /** Adds the tag policy {@code body} describes to the namespace. */
    public static void tagPolicy(String namespace, Map<String, Object> body) {
        asAdmin().body(body).post("/api/v1/namespaces/" + namespace + "/tag-policies").then().statusCode(201);
    }

    /**
     * A new namespace as production is run: {@code latest} blocked by policy {@code no-latest} ("pin a version tag"),
     * {@code v*} tags immutable by policy {@code releases}.
     */
    public static String productionNamespace(String prefix) {
        String namespace = namespace(prefix, "private");
        tagPolicy(namespace, Map.of("name", "no-latest", "kind", "blocked", "tags", List.of("latest"),
                "description", "pin a version tag"));
        tagPolicy(namespace, "releases", "immutable", List.of("v*"), List.of());
        return namespace;
    }

    /** What a client shows when a push of {@code latest} to a repository of a {@link #productionNamespace} is refused. */
    public static String latestRefused(String repository) {
        String namespace = repository.substring(0, repository.indexOf('/'));
        return "tag 'latest' cannot be pushed to " + repository + ": tags matching 'latest' are blocked by tag policy "
                + "'no-latest' of namespace '" + namespace + "' (pin a version tag)";
    }

    /** What a client shows when a {@code v*} tag of a {@link #productionNamespace} would move. */
    public static String releaseMoveRefused(String namespace) {
        return "tags matching 'v*' are immutable once pushed by tag policy 'releases' of namespace '" + namespace + "'";
    }
}
