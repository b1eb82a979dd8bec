package io.cais.stats;

import io.agroal.api.AgroalDataSource;
import io.cais.testing.Admin;
import io.cais.testing.AdminApi;
import io.cais.testing.Blobs;
import io.cais.testing.GcImages;
import io.cais.testing.Http;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.OffsetDateTime;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Pull statistics of tags and manifests: counted by manifest HEAD and GET — by tag or digest, from the cache or the
 * database — written by the flush (called here, deterministically), and shown by the admin API with who pushed.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class PullStatisticsTest {

    @Inject
    PullStatistics statistics;

    @Inject
    AgroalDataSource dataSource;

    private static String base() {
        return "http://localhost:" + RestAssured.port;
    }

    @Test
    void headAndGetByTagAndByDigestCountForTheTagAndTheManifestOnceFlushed() throws Exception {
        String namespace = AdminApi.namespace("stats", "private");
        String repo = namespace + "/app";
        GcImages.Image image = pushed(repo, "v1");
        statistics.flush(); // whatever earlier requests counted
        OffsetDateTime before = OffsetDateTime.now().minusSeconds(1);

        assertThat(pull("HEAD", repo, "v1")).isEqualTo(200);
        assertThat(pull("HEAD", repo, "v1")).as("from the manifest cache: counted all the same").isEqualTo(200);
        assertThat(pull("GET", repo, "v1")).isEqualTo(200);
        assertThat(pull("GET", repo, image.digest())).isEqualTo(200);
        assertThat(pull("HEAD", repo, image.digest())).isEqualTo(200);
        assertThat(tag(namespace, "v1").getLong("pulls")).as("nothing written before the flush").isZero();

        statistics.flush();

        JsonPath tag = tag(namespace, "v1");
        assertThat(tag.getLong("pulls")).isEqualTo(3);
        assertThat(OffsetDateTime.parse(tag.getString("lastPulledAt"))).isAfter(before);
        JsonPath manifest = manifest(namespace, image.digest());
        assertThat(manifest.getLong("pulls")).as("by tag and by digest").isEqualTo(5);
        assertThat(OffsetDateTime.parse(manifest.getString("lastPulledAt"))).isAfter(before);
        assertThat(manifest.getList("tags")).containsExactly("v1");

        assertThat(pull("GET", repo, "v1")).isEqualTo(200);
        statistics.flush();
        assertThat(tag(namespace, "v1").getLong("pulls")).as("flushes add up").isEqualTo(4);
        assertThat(manifest(namespace, image.digest()).getLong("pulls")).isEqualTo(6);
    }

    @Test
    void pushedByIsTheAccountThatPushedAUserOrARobot() throws Exception {
        String namespace = AdminApi.namespace("stats-push", "private");
        String repo = namespace + "/app";
        pushed(repo, "admin");
        AdminApi.Robot robot = AdminApi.robot(namespace, "ci", List.of("pull", "push"), List.of("*"), null);
        GcImages.Image byRobot = GcImages.image(List.of(Blobs.random(300)));
        for (byte[] blob : byRobot.blobs()) {
            assertThat(Http.sendAs(robot.basic(), "POST", base() + "/v2/" + repo + "/blobs/uploads/?digest=" + Blobs.sha256(blob),
                    blob, "Content-Type", "application/octet-stream").statusCode()).isEqualTo(201);
        }
        assertThat(Http.sendAs(robot.basic(), "PUT", base() + "/v2/" + repo + "/manifests/robot", byRobot.manifest(),
                "Content-Type", GcImages.OCI_MANIFEST).statusCode()).isEqualTo(201);

        JsonPath admin = tag(namespace, "admin");
        assertThat(admin.getString("pushedBy")).isEqualTo(Admin.USER);
        assertThat(admin.getString("pushedAt")).isNotNull();
        assertThat(tag(namespace, "robot").getString("pushedBy")).isEqualTo(robot.username());
        assertThat(manifest(namespace, byRobot.digest()).getString("pushedBy")).isEqualTo(robot.username());
    }

    @Test
    void writingStatisticsFiresNoTriggerThatEvictsCachesOrEnqueuesReviews() throws Exception {
        String repo = AdminApi.namespace("stats-quiet", "private") + "/app";
        pushed(repo, "v1");
        assertThat(pull("GET", repo, "v1")).isEqualTo(200);
        long reviews = count("SELECT count(*) FROM gc_manifest_review") + count("SELECT count(*) FROM gc_blob_review");

        statistics.flush();

        assertThat(count("SELECT count(*) FROM gc_manifest_review") + count("SELECT count(*) FROM gc_blob_review"))
                .isEqualTo(reviews);
        assertThat(count("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN "
                + "('manifest_pull'::regclass, 'tag_pull'::regclass)")).as("no NOTIFY, no review").isZero();
    }

    /** A new image, pushed as the test administrator. */
    private static GcImages.Image pushed(String repo, String tag) throws Exception {
        GcImages.Image image = GcImages.image(List.of(Blobs.random(300)));
        assertThat(image.push(base(), repo, tag)).isEqualTo(201);
        return image;
    }

    private long count(String sql) throws Exception {
        try (var connection = dataSource.getConnection(); var statement = connection.createStatement();
             var result = statement.executeQuery(sql)) {
            result.next();
            return result.getLong(1);
        }
    }

    private static int pull(String method, String repo, String reference) throws Exception {
        return Http.send(method, base() + "/v2/" + repo + "/manifests/" + reference, null,
                "Accept", GcImages.OCI_MANIFEST).statusCode();
    }

    static JsonPath tag(String namespace, String tag) {
        JsonPath page = AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace + "/repositories/app/tags?n=1000")
                .then().statusCode(200).extract().jsonPath();
        List<String> names = page.getList("tags.name");
        int i = names.indexOf(tag);
        assertThat(i).as("tag " + tag + " listed").isNotNegative();
        return page.setRootPath("tags[" + i + "]");
    }

    static JsonPath manifest(String namespace, String digest) {
        return AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace + "/repositories/app/manifests/" + digest)
                .then().statusCode(200).extract().jsonPath();
    }
}
