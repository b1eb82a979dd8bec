package io.cais.retention;

import io.cais.stats.PullStatistics;
import io.cais.testing.AdminApi;
import io.cais.testing.Blobs;
import io.cais.testing.GcImages;
import io.cais.testing.Http;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.TestClock;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Retention through the admin API: the keep-rules (N most recent, pulled within D days, tag patterns), untagged
 * manifests after D days, protection of what was pulled recently (also as an index's child), dry runs equal to runs,
 * run records, and who may administer it. Time moves with the test clock; pulls are written by flushing.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class RetentionApiTest {

    private static final Path STORE = Path.of("target/test-data/blobs");

    @Inject
    TestClock clock;

    @Inject
    PullStatistics statistics;

    @AfterEach
    void resetClock() {
        clock.reset();
    }

    private static String base() {
        return "http://localhost:" + RestAssured.port;
    }

    @Test
    void keepLastKeepsTheMostRecentlyPushedTagsAndTheCollectorThenReclaimsTheRest() throws Exception {
        String namespace = AdminApi.namespace("ret-last", "private");
        String repo = namespace + "/app";
        GcImages.Image one = GcImages.image(List.of(Blobs.random(1000)));
        GcImages.Image two = GcImages.image(List.of(Blobs.random(1000)));
        GcImages.Image three = GcImages.image(List.of(Blobs.random(1000)));
        assertThat(one.push(base(), repo, "one")).isEqualTo(201);
        assertThat(two.push(base(), repo, "two")).isEqualTo(201);
        assertThat(three.push(base(), repo, "three")).isEqualTo(201);
        rules(namespace, Map.of("keepLast", 2));

        JsonPath run = run(namespace, false);

        assertThat(run.getList("tags.tag")).containsExactly("one");
        assertThat(run.getList("tags.reason")).containsExactly("tag-not-kept");
        assertThat(run.getList("manifests.digest")).containsExactly(one.digest());
        assertThat(run.getList("manifests.reason")).containsExactly("last-tag-deleted");
        assertThat(run.getLong("bytes")).isEqualTo(one.blobs().stream().mapToLong(b -> b.length).sum());
        assertThat(manifestStatus(repo, "one")).isEqualTo(404);
        assertThat(manifestStatus(repo, one.digest())).isEqualTo(404);
        assertThat(manifestStatus(repo, "two")).isEqualTo(200);
        assertThat(manifestStatus(repo, "three")).isEqualTo(200);

        GcImages.collect(base(), false, true);
        assertThat(one.blobDigests()).noneMatch(RetentionApiTest::stored);
        assertThat(two.blobDigests()).allMatch(RetentionApiTest::stored);
    }

    @Test
    void keepPulledWithinKeepsTagsPulledInTheLastDaysAsTheClockMoves() throws Exception {
        String namespace = AdminApi.namespace("ret-pulled", "private");
        String repo = namespace + "/app";
        GcImages.Image old = push(repo, "old");
        GcImages.Image recent = push(repo, "recent");
        push(repo, "never");
        pull(repo, "old");
        statistics.flush();
        clock.advance(Duration.ofDays(30));
        pull(repo, "recent");
        statistics.flush();
        clock.advance(Duration.ofDays(35)); // old: pulled 65 days ago; recent: 35 (both outside the 30-day protection)
        rules(namespace, Map.of("keepPulledDays", 50));

        JsonPath run = run(namespace, false);

        assertThat(run.getList("tags.tag")).containsExactly("never", "old");
        assertThat(manifestStatus(repo, "recent")).isEqualTo(200);
        assertThat(manifestStatus(repo, old.digest())).isEqualTo(404);
        assertThat(manifestStatus(repo, recent.digest())).isEqualTo(200);
    }

    @Test
    void keepTagsKeepsTheTagsThatMatchAPattern() throws Exception {
        String namespace = AdminApi.namespace("ret-pattern", "private");
        String repo = namespace + "/app";
        push(repo, "v1.0");
        push(repo, "v2.0");
        push(repo, "dev-123");
        push(repo, "latest");
        rules(namespace, Map.of("keepTags", List.of("v*", "latest"), "keepLast", 0));

        assertThat(run(namespace, false).getList("tags.tag")).containsExactly("dev-123");
        assertThat(manifestStatus(repo, "v1.0")).isEqualTo(200);
        assertThat(manifestStatus(repo, "latest")).isEqualTo(200);
    }

    @Test
    void tagsATagPolicyMakesImmutableSurviveKeepZeroAndTheirManifestsWithThem() throws Exception {
        String namespace = AdminApi.namespace("ret-immutable", "private");
        String repo = namespace + "/app";
        GcImages.Image release = push(repo, "v1.0");
        push(repo, "dev-1");
        AdminApi.tagPolicy(namespace, "releases", "immutable", List.of("v*"), List.of());
        rules(namespace, Map.of("keepLast", 0));

        JsonPath dry = run(namespace, true);
        assertThat(dry.getList("tags.tag")).containsExactly("dev-1");
        assertThat(run(namespace, false).getList("tags.tag")).isEqualTo(dry.getList("tags.tag"));
        assertThat(tagNames(namespace, "app")).containsExactly("v1.0");
        assertThat(manifestStatus(repo, release.digest())).isEqualTo(200);
    }

    @Test
    void untaggedManifestsAreDeletedOnceOlderThanTheRuleSaysButNotThoseAnIndexOrSubjectKeeps() throws Exception {
        String namespace = AdminApi.namespace("ret-untagged", "private");
        String repo = namespace + "/app";
        GcImages.Image loose = GcImages.image(List.of(Blobs.random(700)));
        assertThat(loose.push(base(), repo, loose.digest())).isEqualTo(201);
        GcImages.Image tagged = push(repo, "v1");
        GcImages.Image signature = GcImages.referrer(tagged);
        assertThat(signature.push(base(), repo, signature.digest())).isEqualTo(201);
        rules(namespace, Map.of("untaggedDays", 10));

        assertThat(run(namespace, true).getList("manifests")).as("pushed just now").isEmpty();
        clock.advance(Duration.ofDays(11));
        JsonPath run = run(namespace, false);

        assertThat(run.getList("manifests.digest")).containsExactly(loose.digest());
        assertThat(run.getList("manifests.reason")).containsExactly("untagged-expired");
        assertThat(run.getList("tags")).as("no keep-rule: tags are left alone").isEmpty();
        assertThat(manifestStatus(repo, loose.digest())).isEqualTo(404);
        assertThat(manifestStatus(repo, signature.digest())).as("kept by its subject").isEqualTo(200);
    }

    @Test
    void aManifestPulledWithinTheProtectionWindowSurvivesKeepZeroAlsoAsTheChildOfAnIndex() throws Exception {
        String namespace = AdminApi.namespace("ret-protect", "private");
        String repo = namespace + "/app";
        GcImages.Image running = push(repo, "running");
        push(repo, "idle");
        GcImages.Image child = GcImages.image(List.of(Blobs.random(600)));
        assertThat(child.push(base(), repo, child.digest())).isEqualTo(201);
        GcImages.Image index = GcImages.index(child);
        assertThat(index.push(base(), repo, "multi")).isEqualTo(201);
        GcImages.Image staleChild = GcImages.image(List.of(Blobs.random(600)));
        assertThat(staleChild.push(base(), repo, staleChild.digest())).isEqualTo(201);
        GcImages.Image staleIndex = GcImages.index(staleChild);
        assertThat(staleIndex.push(base(), repo, "stale")).isEqualTo(201);
        clock.advance(Duration.ofDays(10));
        pull(repo, "running");
        assertThat(Http.send("GET", base() + "/v2/" + repo + "/manifests/" + child.digest(), null,
                "Accept", GcImages.OCI_MANIFEST).statusCode()).as("a node pulls the child by digest").isEqualTo(200);
        statistics.flush();
        clock.advance(Duration.ofDays(20)); // pulled 20 days ago: within the 30-day window
        rules(namespace, Map.of("keepLast", 0));

        JsonPath run = run(namespace, false);

        assertThat(run.getList("tags.tag")).containsExactlyInAnyOrder("idle", "stale");
        assertThat(run.getList("manifests.digest")).contains(staleIndex.digest(), staleChild.digest());
        assertThat(run.getList("manifests.digest")).doesNotContain(running.digest(), child.digest(), index.digest());
        // Checked through the admin API: a pull now would protect them again.
        assertThat(tags(namespace, running.digest())).containsExactly("running");
        assertThat(tags(namespace, child.digest())).isEmpty();
        assertThat(tags(namespace, index.digest())).as("the index of a protected child stays, with its tag")
                .containsExactly("multi");
        assertThat(manifestExists(namespace, staleChild.digest())).isFalse();

        clock.advance(Duration.ofDays(11)); // now 31 days since the pulls: no longer protected
        assertThat(run(namespace, false).getList("tags.tag")).containsExactlyInAnyOrder("running", "multi");
    }

    @Test
    void aDryRunReportsExactlyWhatTheRunThenDeletesAndTheRunIsRecorded() throws Exception {
        String namespace = AdminApi.namespace("ret-dry", "private");
        String repo = namespace + "/app";
        String other = namespace + "/tools/lint";
        byte[] shared = Blobs.random(2000);
        for (String tag : List.of("a", "b", "c", "d")) {
            assertThat(GcImages.image(List.of(shared, Blobs.random(500))).push(base(), repo, tag)).isEqualTo(201);
            assertThat(GcImages.image(List.of(Blobs.random(500))).push(base(), other, tag)).isEqualTo(201);
        }
        AdminApi.asAdmin().body(Map.of("rules", List.of(Map.of("repositories", "app", "keepLast", 1),
                        Map.of("repositories", "tools/*", "keepTags", List.of("d")))))
                .put("/api/v1/namespaces/" + namespace + "/retention").then().statusCode(200);

        JsonPath dry = run(namespace, true);
        assertThat(dry.getBoolean("dryRun")).isTrue();
        assertThat(tagNames(namespace, "app")).as("a dry run deletes nothing (and pulling would protect)")
                .containsExactly("a", "b", "c", "d");
        JsonPath run = run(namespace, false);

        assertThat(dry.getList("tags")).hasSize(6).isEqualTo(run.getList("tags"));
        assertThat(dry.getList("manifests")).hasSize(6).isEqualTo(run.getList("manifests"));
        assertThat(run.getLong("bytes")).as("the shared layer stays with d").isEqualTo(dry.getLong("bytes")).isPositive();
        assertThat(run.<List<Integer>>getList("tags.rules")).contains(List.of(1), List.of(2));

        long runId = run.getLong("runId");
        List<Long> ids = AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace + "/retention/runs").then()
                .statusCode(200).extract().jsonPath().getList("id", Long.class);
        assertThat(ids).contains(runId);
        JsonPath record = AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace + "/retention/runs/" + runId)
                .then().statusCode(200).extract().jsonPath();
        assertThat(record.getInt("run.tags")).isEqualTo(6);
        assertThat(record.getInt("run.manifests")).isEqualTo(6);
        assertThat(record.getString("run.startedBy")).isEqualTo("admin");
        assertThat(record.getList("deletions")).hasSize(12);
        assertThat(record.getList("deletions.tag").subList(0, 6)).containsExactly("a", "b", "c", "a", "b", "c");
    }

    @Test
    void onlyTheNamespacesAdminsAndServerAdminsAdministerItsRetention() {
        String namespace = AdminApi.namespace("ret-perm", "private");
        String other = AdminApi.namespace("ret-other", "private");
        String admin = AdminApi.user("ret-admin", "pw-ret-admin-1");
        String reader = AdminApi.user("ret-reader", "pw-ret-reader-1");
        AdminApi.member(other, admin, "admin");
        AdminApi.member(namespace, reader, "reader");
        Map<String, Object> body = Map.of("rules", List.of(Map.of("keepLast", 5)));

        AdminApi.as(admin, "pw-ret-admin-1").body(body).put("/api/v1/namespaces/" + other + "/retention").then().statusCode(200);
        AdminApi.as(admin, "pw-ret-admin-1").body(body).put("/api/v1/namespaces/" + namespace + "/retention").then().statusCode(403);
        AdminApi.as(admin, "pw-ret-admin-1").post("/api/v1/namespaces/" + namespace + "/retention/runs?dryRun=true").then().statusCode(403);
        AdminApi.as(admin, "pw-ret-admin-1").get("/api/v1/namespaces/" + namespace + "/retention/runs").then().statusCode(403);
        AdminApi.as(reader, "pw-ret-reader-1").body(body).put("/api/v1/namespaces/" + namespace + "/retention").then().statusCode(403);
        AdminApi.asAdmin().body(body).put("/api/v1/namespaces/" + namespace + "/retention").then().statusCode(200);
        assertThat(AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace + "/retention").then().statusCode(200)
                .extract().jsonPath().getInt("rules[0].keepLast")).isEqualTo(5);
        AdminApi.asAdmin().body(Map.of("rules", List.of(Map.of("repositories", "*"))))
                .put("/api/v1/namespaces/" + namespace + "/retention").then().statusCode(400);
        AdminApi.asAdmin().body(Map.of("rules", List.of(Map.of("keepLast", -1))))
                .put("/api/v1/namespaces/" + namespace + "/retention").then().statusCode(400);
    }

    private static void rules(String namespace, Map<String, Object> rule) {
        AdminApi.asAdmin().body(Map.of("rules", List.of(rule))).put("/api/v1/namespaces/" + namespace + "/retention")
                .then().statusCode(200);
    }

    private static JsonPath run(String namespace, boolean dryRun) {
        return AdminApi.asAdmin().post("/api/v1/namespaces/" + namespace + "/retention/runs?dryRun=" + dryRun)
                .then().statusCode(dryRun ? 200 : 201).extract().jsonPath();
    }

    /** The repository's tags, read through the admin API (which counts no pull). */
    private static List<String> tagNames(String namespace, String repository) {
        return AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace + "/repositories/" + repository + "/tags")
                .then().statusCode(200).extract().jsonPath().getList("tags.name");
    }

    /** The manifest's tags, read through the admin API (which counts no pull). */
    private static List<String> tags(String namespace, String digest) {
        return AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace + "/repositories/app/manifests/" + digest)
                .then().statusCode(200).extract().jsonPath().getList("tags");
    }

    private static boolean manifestExists(String namespace, String digest) {
        int status = AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace + "/repositories/app/manifests/" + digest)
                .then().extract().statusCode();
        assertThat(status).isIn(200, 404);
        return status == 200;
    }

    private static GcImages.Image push(String repo, String tag) throws Exception {
        GcImages.Image image = GcImages.image(List.of(Blobs.random(400)));
        assertThat(image.push(base(), repo, tag)).isEqualTo(201);
        return image;
    }

    private static void pull(String repo, String tag) throws Exception {
        assertThat(manifestStatus(repo, tag)).isEqualTo(200);
    }

    private static int manifestStatus(String repo, String reference) throws Exception {
        return Http.send("GET", base() + "/v2/" + repo + "/manifests/" + reference, null,
                "Accept", GcImages.OCI_MANIFEST + "," + GcImages.OCI_INDEX).statusCode();
    }

    private static boolean stored(String digest) {
        String hex = digest.substring("sha256:".length());
        return Files.exists(STORE.resolve("blobs/sha256/" + hex.substring(0, 2) + "/" + hex));
    }
}
