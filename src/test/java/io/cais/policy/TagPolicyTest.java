package io.cais.policy;

import io.cais.testing.Admin;
import io.cais.testing.AdminApi;
import io.cais.testing.Images;
import io.cais.testing.OciLayouts;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;

/**
 * Tag policies through the distribution API and the admin API, against PostgreSQL: blocked tags are never pushed,
 * immutable tags never move nor go, a refusal is {@code 403 DENIED} naming the policy and leaves nothing behind, and
 * only a namespace's admins (or server admins) manage its policies.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class TagPolicyTest {

    private static final String PASSWORD = "tag-policy-password";

    // ---- immutable tags -----------------------------------------------------------------------------------

    @Test
    void immutableTagRePushedWithAnotherManifestIsRefusedNamingThePolicyAndTheNewManifestIsNotStored() {
        String namespace = AdminApi.namespace("immutable", "private");
        AdminApi.tagPolicy(namespace, "releases", "immutable", List.of("v*", "*.*.*"), List.of("*-dev"));
        String repository = namespace + "/app";
        String first = Images.push(repository, "v1");
        OciLayouts.Image other = Images.uploaded(repository);

        Images.putManifest(repository, "v1", other).then().statusCode(403)
                .body("errors[0].code", equalTo("DENIED"))
                .body("errors[0].message", containsString("tag policy 'releases' of namespace '" + namespace + "'"))
                .body("errors[0].message", containsString("tags matching 'v*' are immutable"))
                .body("errors[0].detail.policy", equalTo("releases"))
                .body("errors[0].detail.kind", equalTo("immutable"))
                .body("errors[0].detail.namespace", equalTo(namespace))
                .body("errors[0].detail.pattern", equalTo("v*"))
                .body("errors[0].detail.current", equalTo(first))
                .body("errors[0].detail.pushed", equalTo(other.manifest().digest()));

        assertThat(digestOf(repository, "v1")).isEqualTo(first);
        manifest(repository, other.manifest().digest()).then().statusCode(404);
        // Another pattern of the same policy.
        Images.push(repository, "1.2.3");
        Images.putManifest(repository, "1.2.3", other).then().statusCode(403)
                .body("errors[0].detail.pattern", equalTo("*.*.*"));
    }

    @Test
    void immutableTagRePushedWithTheSameManifestIsAccepted() {
        String repository = repositoryWithPolicy("immutable-same", "releases", "immutable", "v*");
        OciLayouts.Image image = Images.uploaded(repository);
        Images.putManifest(repository, "v2", image).then().statusCode(201);
        Images.putManifest(repository, "v2", image).then().statusCode(201)
                .header("Docker-Content-Digest", image.manifest().digest());
        assertThat(digestOf(repository, "v2")).isEqualTo(image.manifest().digest());
    }

    @Test
    void excludedTagsAndTagsNoPatternMatchesStayMutable() {
        String namespace = AdminApi.namespace("immutable-excl", "private");
        AdminApi.tagPolicy(namespace, "releases", "immutable", List.of("v*"), List.of("*-dev"));
        String repository = namespace + "/app";
        Images.push(repository, "v3-dev");
        Images.push(repository, "main");
        String moved = Images.push(repository, "v3-dev");
        String main = Images.push(repository, "main");
        assertThat(digestOf(repository, "v3-dev")).isEqualTo(moved);
        assertThat(digestOf(repository, "main")).isEqualTo(main);
        given().header("Authorization", Admin.basic()).delete("/v2/" + repository + "/manifests/v3-dev").then().statusCode(202);
    }

    @Test
    void immutableTagCannotBeDeletedNorTheManifestItPointsAtButTheRepositoryCanBeByItsAdmin() {
        String repository = repositoryWithPolicy("immutable-del", "releases", "immutable", "v*");
        String digest = Images.push(repository, "v1");

        given().header("Authorization", Admin.basic()).delete("/v2/" + repository + "/manifests/v1").then().statusCode(403)
                .body("errors[0].code", equalTo("DENIED"))
                .body("errors[0].message", containsString("tag 'v1' of " + repository + " cannot be deleted"))
                .body("errors[0].detail.policy", equalTo("releases"));
        given().header("Authorization", Admin.basic()).delete("/v2/" + repository + "/manifests/" + digest).then().statusCode(403)
                .body("errors[0].detail.tag", equalTo("v1"));
        assertThat(digestOf(repository, "v1")).isEqualTo(digest);

        // A manifest that only mutable tags point at is deleted as before.
        String mutable = Images.push(repository, "edge");
        given().header("Authorization", Admin.basic()).delete("/v2/" + repository + "/manifests/" + mutable).then().statusCode(202);

        // Deleting the whole repository is an explicit act of a namespace admin, which policies do not prevent.
        AdminApi.asAdmin().delete("/api/v1/namespaces/" + repository.replace("/app", "/repositories/app")).then().statusCode(204);
        manifest(repository, "v1").then().statusCode(404);
    }

    @Test
    void concurrentPushesOfDifferentManifestsToANewImmutableTagLetExactlyOneWin() throws Exception {
        String repository = repositoryWithPolicy("immutable-race", "releases", "immutable", "v*");
        int pushers = 4;
        for (int round = 0; round < 3; round++) {
            String tag = "v" + round;
            List<OciLayouts.Image> images = new ArrayList<>();
            for (int i = 0; i < pushers; i++) {
                images.add(Images.uploaded(repository));
            }
            List<Response> responses = race(images.stream().<Callable<Response>>map(image ->
                    () -> Images.putManifest(repository, tag, image)).toList());
            List<Integer> statuses = responses.stream().map(Response::statusCode).toList();
            assertThat(statuses).as("round %d", round).containsOnly(201, 403).filteredOn(s -> s == 201).hasSize(1);
            String winner = images.get(statuses.indexOf(201)).manifest().digest();
            assertThat(digestOf(repository, tag)).isEqualTo(winner);
        }
    }

    @Test
    void aManifestDeleteRacingAPushThatGivesItAnImmutableTagNeverTakesTheTagWithIt() throws Exception {
        String repository = repositoryWithPolicy("immutable-del-race", "releases", "immutable", "v*");
        for (int round = 0; round < 8; round++) {
            String tag = "v" + round;
            OciLayouts.Image image = Images.uploaded(repository);
            String digest = image.manifest().digest();
            Images.putManifest(repository, digest, image).then().statusCode(201);
            List<Response> responses = race(List.of(() -> Images.putManifest(repository, tag, image),
                    () -> given().header("Authorization", Admin.basic()).delete("/v2/" + repository + "/manifests/" + digest)));
            assertThat(responses.get(0).statusCode()).as("round %d: the push", round).isEqualTo(201);
            assertThat(responses.get(1).statusCode()).as("round %d: the delete", round).isIn(202, 403);
            // The push won (the delete was refused) or came second (and stored the manifest again): the tag stays.
            assertThat(digestOf(repository, tag)).as("round %d", round).isEqualTo(digest);
        }
    }

    /** Runs the calls at once, each on its own thread; their responses in the calls' order. */
    private static List<Response> race(List<Callable<Response>> calls) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(calls.size());
        try {
            List<Future<Response>> futures = calls.stream().map(call -> pool.submit(() -> {
                start.await();
                return call.call();
            })).toList();
            start.countDown();
            List<Response> responses = new ArrayList<>();
            for (Future<Response> future : futures) {
                responses.add(future.get());
            }
            return responses;
        } finally {
            pool.shutdownNow();
        }
    }

    // ---- blocked tags -------------------------------------------------------------------------------------

    @Test
    void latestIsBlockedInOneNamespaceAndAllowedInAnother() {
        String prod = AdminApi.namespace("prod", "private");
        String dev = AdminApi.namespace("dev", "private");
        AdminApi.tagPolicy(prod, Map.of("name", "no-latest", "kind", "blocked", "tags", List.of("latest"),
                "description", "pin a version tag"));
        String repository = prod + "/app";
        OciLayouts.Image image = Images.uploaded(repository);

        Images.putManifest(repository, "latest", image).then().statusCode(403)
                .body("errors[0].code", equalTo("DENIED"))
                .body("errors[0].message", equalTo("tag 'latest' cannot be pushed to " + repository
                        + ": tags matching 'latest' are blocked by tag policy 'no-latest' of namespace '" + prod
                        + "' (pin a version tag)"))
                .body("errors[0].detail.policy", equalTo("no-latest"))
                .body("errors[0].detail.kind", equalTo("blocked"))
                .body("errors[0].detail.namespace", equalTo(prod))
                .body("errors[0].detail.tag", equalTo("latest"));
        manifest(repository, "latest").then().statusCode(404);
        manifest(repository, image.manifest().digest()).then().statusCode(404);

        Images.push(dev + "/app", "latest");
        manifest(dev + "/app", "latest").then().statusCode(200);
        // Other tags of prod, and the manifest by digest, are pushed as usual.
        Images.putManifest(repository, "1.0", image).then().statusCode(201);
    }

    @Test
    void repositoryPatternsNarrowAPolicyToTheRepositoriesTheyMatch() {
        String namespace = AdminApi.namespace("narrow", "private");
        AdminApi.tagPolicy(namespace, Map.of("name", "frontend-pinned", "kind", "blocked", "tags", List.of("latest"),
                "repositories", List.of("frontend/*")));
        Images.putManifest(namespace + "/frontend/web", "latest", Images.uploaded(namespace + "/frontend/web"))
                .then().statusCode(403).body("errors[0].detail.policy", equalTo("frontend-pinned"));
        Images.push(namespace + "/backend/api", "latest");
        manifest(namespace + "/backend/api", "latest").then().statusCode(200);
    }

    @Test
    void aPolicyBindsThePushesAfterItIsCreatedAndNoneAfterItIsDeleted() {
        String namespace = AdminApi.namespace("toggle", "private");
        String repository = namespace + "/app";
        Images.push(repository, "latest");
        AdminApi.tagPolicy(namespace, "no-latest", "blocked", List.of("latest"), List.of());
        Images.putManifest(repository, "latest", Images.uploaded(repository)).then().statusCode(403);
        AdminApi.asAdmin().delete("/api/v1/namespaces/" + namespace + "/tag-policies/no-latest").then().statusCode(204);
        Images.push(repository, "latest");
    }

    // ---- multi-tag push -----------------------------------------------------------------------------------

    @Test
    void pushByDigestWithTagParametersCreatesEveryTagAndNamesEachInAnOciTagHeader() {
        String repository = AdminApi.namespace("multi", "private") + "/app";
        OciLayouts.Image image = Images.uploaded(repository);
        String digest = image.manifest().digest();
        Response response = Images.putManifest(repository, digest + "?tag=1.2.3&tag=1.2&tag=1&tag=latest&tag=1", image);
        response.then().statusCode(201).header("Docker-Content-Digest", digest);
        assertThat(response.headers().getValues("OCI-Tag")).containsExactly("1.2.3", "1.2", "1", "latest");
        for (String tag : List.of("1.2.3", "1.2", "1", "latest")) {
            assertThat(digestOf(repository, tag)).isEqualTo(digest);
        }
    }

    @Test
    void multiTagPushWithOneBlockedTagCreatesNoneOfTheTagsAndNotTheManifest() {
        String repository = repositoryWithPolicy("multi-blocked", "no-latest", "blocked", "latest");
        OciLayouts.Image image = Images.uploaded(repository);
        String digest = image.manifest().digest();
        Images.putManifest(repository, digest + "?tag=2.0&tag=latest&tag=2", image).then().statusCode(403)
                .body("errors[0].detail.tag", equalTo("latest"));
        for (String tag : List.of("2.0", "latest", "2")) {
            manifest(repository, tag).then().statusCode(404);
        }
        manifest(repository, digest).then().statusCode(404);
    }

    @Test
    void multiTagPushMovingAnImmutableTagCreatesNoneOfTheOthers() {
        String repository = repositoryWithPolicy("multi-immutable", "releases", "immutable", "v*");
        String v1 = Images.push(repository, "v1");
        OciLayouts.Image image = Images.uploaded(repository);
        Images.putManifest(repository, image.manifest().digest() + "?tag=a-new-tag&tag=v1&tag=zz", image).then().statusCode(403)
                .body("errors[0].detail.tag", equalTo("v1"));
        manifest(repository, "a-new-tag").then().statusCode(404);
        manifest(repository, "zz").then().statusCode(404);
        assertThat(digestOf(repository, "v1")).isEqualTo(v1);
    }

    @Test
    void tagParametersAreRefusedWithATagReferenceAndWhenInvalid() {
        String repository = AdminApi.namespace("multi-bad", "private") + "/app";
        OciLayouts.Image image = Images.uploaded(repository);
        Images.putManifest(repository, "v1?tag=v2", image).then().statusCode(400).body("errors[0].code", equalTo("TAG_INVALID"));
        Images.putManifest(repository, image.manifest().digest() + "?tag=-bad", image).then().statusCode(400)
                .body("errors[0].code", equalTo("TAG_INVALID"));
        StringBuilder many = new StringBuilder(image.manifest().digest() + "?tag=t0");
        for (int i = 1; i <= 100; i++) {
            many.append("&tag=t").append(i);
        }
        Images.putManifest(repository, many.toString(), image).then().statusCode(414);
        manifest(repository, image.manifest().digest()).then().statusCode(404);
    }

    // ---- administration -----------------------------------------------------------------------------------

    @Test
    void namespaceAdminsManageTheirPoliciesMembersReadThemOthersCannot() {
        String namespace = AdminApi.namespace("pol-admin", "private");
        String other = AdminApi.namespace("pol-other", "private");
        String admin = AdminApi.user("pol-admin", PASSWORD);
        String otherAdmin = AdminApi.user("pol-other-admin", PASSWORD);
        String reader = AdminApi.user("pol-reader", PASSWORD);
        String writer = AdminApi.user("pol-writer", PASSWORD);
        AdminApi.member(namespace, admin, "admin");
        AdminApi.member(other, otherAdmin, "admin");
        AdminApi.member(namespace, reader, "reader");
        AdminApi.member(namespace, writer, "writer");
        String policies = "/api/v1/namespaces/" + namespace + "/tag-policies";
        Map<String, Object> policy = Map.of("name", "no-latest", "kind", "blocked", "tags", List.of("latest"));

        for (String refused : List.of(otherAdmin, reader, writer)) {
            AdminApi.as(refused, PASSWORD).body(policy).post(policies).then().statusCode(403);
        }
        AdminApi.as(admin, PASSWORD).body(policy).post(policies).then().statusCode(201)
                .header("Location", containsString(policies + "/no-latest"))
                .body("name", equalTo("no-latest")).body("kind", equalTo("blocked"))
                .body("repositories", equalTo(List.of("*"))).body("exclusions", equalTo(List.of()));
        AdminApi.as(reader, PASSWORD).get(policies).then().statusCode(200).body("name", hasItem("no-latest"));
        AdminApi.as(otherAdmin, PASSWORD).get(policies).then().statusCode(403);
        Map<String, Object> changed = Map.of("kind", "blocked", "tags", List.of("latest", "stable"));
        AdminApi.as(reader, PASSWORD).body(changed).put(policies + "/no-latest").then().statusCode(403);
        AdminApi.as(otherAdmin, PASSWORD).delete(policies + "/no-latest").then().statusCode(403);
        AdminApi.as(admin, PASSWORD).body(changed).put(policies + "/no-latest").then().statusCode(200)
                .body("tags", equalTo(List.of("latest", "stable")));
        AdminApi.as(admin, PASSWORD).body(policy).post(policies).then().statusCode(409);
        AdminApi.as(admin, PASSWORD).delete(policies + "/no-latest").then().statusCode(204);
        AdminApi.as(admin, PASSWORD).delete(policies + "/no-latest").then().statusCode(404);
        AdminApi.as(admin, PASSWORD).get("/api/v1/tag-policy-defaults").then().statusCode(403);
    }

    @Test
    void invalidPoliciesAreRefusedWithA400ThatSaysWhy() {
        String policies = "/api/v1/namespaces/" + AdminApi.namespace("pol-invalid", "private") + "/tag-policies";
        List<Map<String, Object>> invalid = List.of(
                Map.of("name", "x", "kind", "frozen", "tags", List.of("v*")),
                Map.of("name", "Bad Name", "kind", "blocked", "tags", List.of("latest")),
                Map.of("name", "x", "kind", "blocked", "tags", List.of()),
                Map.of("name", "x", "kind", "blocked"),
                Map.of("name", "x", "kind", "blocked", "tags", List.of("v[0-9]+")),
                Map.of("name", "x", "kind", "blocked", "tags", List.of("*a*b*c*d*e*f*g*h*")),
                Map.of("name", "x", "kind", "immutable", "tags", List.of("v*"), "exclusions", List.of("a/b")),
                Map.of("name", "x", "kind", "blocked", "tags", List.of("latest"), "repositories", List.of("Upper")),
                Map.of("name", "x", "kind", "blocked", "tags", List.of("latest"), "description", "d".repeat(513)));
        for (Map<String, Object> body : invalid) {
            AdminApi.asAdmin().body(body).post(policies).then().statusCode(400)
                    .body("errors[0].code", equalTo("INVALID_REQUEST"))
                    .body("errors[0].message", not(equalTo("")));
        }
        AdminApi.asAdmin().get(policies).then().statusCode(200).body("size()", equalTo(0));
        AdminApi.asAdmin().body(Map.of("name", "x", "kind", "blocked", "tags", List.of("latest")))
                .post("/api/v1/namespaces/no-such-namespace/tag-policies").then().statusCode(404);
    }

    @Test
    void defaultPoliciesAreCopiedIntoNamespacesCreatedAfterwards() {
        String defaults = "/api/v1/tag-policy-defaults";
        String before = AdminApi.namespace("pol-before", "private");
        // A pattern no other test pushes: the defaults apply to every namespace created while they exist.
        AdminApi.asAdmin().body(Map.of("name", "default-releases", "kind", "immutable", "tags", List.of("rel-default-*")))
                .post(defaults).then().statusCode(201);
        try {
            AdminApi.asAdmin().get(defaults).then().statusCode(200).body("name", hasItem("default-releases"));
            String after = AdminApi.namespace("pol-after", "private");
            AdminApi.asAdmin().get("/api/v1/namespaces/" + after + "/tag-policies").then().statusCode(200)
                    .body("name", equalTo(List.of("default-releases"))).body("[0].kind", equalTo("immutable"));
            AdminApi.asAdmin().get("/api/v1/namespaces/" + before + "/tag-policies").then().statusCode(200)
                    .body("size()", equalTo(0));

            String repository = after + "/app";
            Images.push(repository, "rel-default-1");
            Images.putManifest(repository, "rel-default-1", Images.uploaded(repository)).then().statusCode(403)
                    .body("errors[0].detail.policy", equalTo("default-releases"));

            // The copy is the namespace's own: changing the default does not change it.
            AdminApi.asAdmin().body(Map.of("kind", "blocked", "tags", List.of("rel-default-*"))).put(defaults + "/default-releases")
                    .then().statusCode(200).body("kind", equalTo("blocked"));
            AdminApi.asAdmin().get("/api/v1/namespaces/" + after + "/tag-policies/default-releases").then().statusCode(200)
                    .body("kind", equalTo("immutable"));
        } finally {
            AdminApi.asAdmin().delete(defaults + "/default-releases").then().statusCode(204);
        }
        AdminApi.asAdmin().get(defaults + "/default-releases").then().statusCode(404);
    }

    /** {@code <new namespace>/app}, the namespace having one policy of {@code kind} for {@code tags}, without exclusions. */
    private static String repositoryWithPolicy(String prefix, String policy, String kind, String... tags) {
        String namespace = AdminApi.namespace(prefix, "private");
        AdminApi.tagPolicy(namespace, policy, kind, List.of(tags), List.of());
        return namespace + "/app";
    }

    private static Response manifest(String repository, String reference) {
        return given().header("Authorization", Admin.basic()).header("Cache-Control", "no-cache")
                .accept(OciLayouts.OCI_MANIFEST).get("/v2/" + repository + "/manifests/" + reference);
    }

    private static String digestOf(String repository, String tag) {
        return manifest(repository, tag).then().statusCode(200).extract().header("Docker-Content-Digest");
    }
}
