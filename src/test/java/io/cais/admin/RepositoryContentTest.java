package io.cais.admin;

import io.cais.stats.PullStatistics;
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

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /api/v1/namespaces/{ns}/repositories/{repository}/tags}: every tag exactly once across pages in each sort
 * and order, what a tag shows (digest, media type, platforms of an index, size, push and pull statistics), deleting a
 * tag, and who may.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class RepositoryContentTest {

    @Inject
    PullStatistics statistics;

    private static String base() {
        return "http://localhost:" + RestAssured.port;
    }

    @Test
    void pagesCoverEveryTagOnceInTheOrderAskedFor() throws Exception {
        String namespace = AdminApi.namespace("content", "private");
        String repo = namespace + "/app";
        List<String> pushOrder = List.of("c", "a", "e", "b", "d");
        for (String tag : pushOrder) {
            assertThat(GcImages.image(List.of(Blobs.random(100))).push(base(), repo, tag)).isEqualTo(201);
        }
        pull(repo, "e");
        Thread.sleep(5);
        pull(repo, "a");
        statistics.flush();

        assertThat(walk(namespace, "name", "asc", 2)).containsExactly("a", "b", "c", "d", "e");
        assertThat(walk(namespace, "name", "desc", 2)).containsExactly("e", "d", "c", "b", "a");
        assertThat(walk(namespace, "pushed", "asc", 2)).containsExactlyElementsOf(pushOrder);
        assertThat(walk(namespace, "pushed", "desc", 3)).containsExactly("d", "b", "e", "a", "c");
        assertThat(walk(namespace, "pulled", "desc", 1)).as("most recent pull first, then never pulled by name")
                .containsExactly("a", "e", "b", "c", "d");
        assertThat(walk(namespace, "pulled", "asc", 2)).containsExactly("b", "c", "d", "e", "a");
        assertThat(walk(namespace, "pulled", "desc", 1000)).containsExactly("a", "e", "b", "c", "d");

        AdminApi.asAdmin().get(tagsPath(namespace) + "?sort=size").then().statusCode(400);
        AdminApi.asAdmin().get(tagsPath(namespace) + "?n=0").then().statusCode(400);
        AdminApi.asAdmin().get(tagsPath(namespace) + "?cursor=bm90LWEtY3Vyc29y").then().statusCode(400);
    }

    @Test
    void aTagShowsItsManifestPlatformsSizeAndStatistics() throws Exception {
        String namespace = AdminApi.namespace("content-show", "private");
        String repo = namespace + "/app";
        byte[] layer = Blobs.random(1000);
        GcImages.Image image = GcImages.image(List.of(layer));
        assertThat(image.push(base(), repo, image.digest())).isEqualTo(201);
        GcImages.Image index = GcImages.index(image);
        assertThat(index.push(base(), repo, "multi")).isEqualTo(201);
        assertThat(GcImages.putManifest(base(), repo, "single", image.manifest())).isEqualTo(201);
        pull(repo, "multi");
        statistics.flush();

        JsonPath page = AdminApi.asAdmin().get(tagsPath(namespace)).then().statusCode(200).extract().jsonPath();
        assertThat(page.getList("tags.name")).containsExactly("multi", "single");
        assertThat(page.getString("next")).isNull();
        assertThat(page.getString("tags[0].digest")).isEqualTo(index.digest());
        assertThat(page.getString("tags[0].mediaType")).isEqualTo(GcImages.OCI_INDEX);
        assertThat(page.getList("tags[0].platforms")).containsExactly("linux/amd64");
        long imageBytes = image.manifest().length + image.blobs().stream().mapToLong(b -> b.length).sum();
        assertThat(page.getLong("tags[0].size")).isEqualTo(index.manifest().length + imageBytes - image.manifest().length);
        assertThat(page.getLong("tags[0].pulls")).isEqualTo(1);
        assertThat(page.getString("tags[0].lastPulledAt")).isNotNull();
        assertThat(page.getString("tags[0].pushedBy")).isEqualTo("admin");
        assertThat(page.getString("tags[1].mediaType")).isEqualTo(GcImages.OCI_MANIFEST);
        assertThat(page.getList("tags[1].platforms")).isNull();
        assertThat(page.getLong("tags[1].size")).isEqualTo(imageBytes);
        assertThat(page.getLong("tags[1].pulls")).isZero();
        assertThat(page.getString("tags[1].lastPulledAt")).isNull();
    }

    @Test
    void aNamespaceAdminDeletesATagAndAnotherNamespacesAdminMayNot() throws Exception {
        String namespace = AdminApi.namespace("content-del", "private");
        String other = AdminApi.namespace("content-oth", "private");
        String otherAdmin = AdminApi.user("content-admin", "pw-content-admin");
        AdminApi.member(other, otherAdmin, "admin");
        String repo = namespace + "/team/app";
        GcImages.Image image = GcImages.image(List.of(Blobs.random(100)));
        assertThat(image.push(base(), repo, "v1")).isEqualTo(201);
        String tag = "/api/v1/namespaces/" + namespace + "/repositories/team/app/tags/v1";

        AdminApi.as(otherAdmin, "pw-content-admin").delete(tag).then().statusCode(403);
        AdminApi.as(otherAdmin, "pw-content-admin").get("/api/v1/namespaces/" + namespace + "/repositories/team/app/tags")
                .then().statusCode(403);
        AdminApi.asAdmin().delete(tag).then().statusCode(204);
        AdminApi.asAdmin().delete(tag).then().statusCode(404);

        assertThat(Http.send("GET", base() + "/v2/" + repo + "/manifests/v1", null).statusCode()).isEqualTo(404);
        assertThat(Http.send("GET", base() + "/v2/" + repo + "/manifests/" + image.digest(), null,
                "Accept", GcImages.OCI_MANIFEST).statusCode()).as("only the tag").isEqualTo(200);
        AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace + "/repositories/team/app/tags").then().statusCode(200);
        AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace + "/repositories/none/tags").then().statusCode(404);
    }

    private static String tagsPath(String namespace) {
        return "/api/v1/namespaces/" + namespace + "/repositories/app/tags";
    }

    /** Every page from the first, following {@code next}. */
    private static List<String> walk(String namespace, String sort, String order, int n) {
        List<String> names = new ArrayList<>();
        String cursor = null;
        do {
            var request = AdminApi.asAdmin().queryParams(Map.of("sort", sort, "order", order, "n", n));
            if (cursor != null) {
                request.queryParam("cursor", cursor);
            }
            JsonPath page = request.get(tagsPath(namespace)).then().statusCode(200).extract().jsonPath();
            List<String> tags = page.getList("tags.name");
            assertThat(tags.size()).isLessThanOrEqualTo(n);
            names.addAll(tags);
            cursor = page.getString("next");
        } while (cursor != null);
        return names;
    }

    private static void pull(String repo, String tag) throws Exception {
        assertThat(Http.send("GET", base() + "/v2/" + repo + "/manifests/" + tag, null,
                "Accept", GcImages.OCI_MANIFEST + "," + GcImages.OCI_INDEX).statusCode()).isEqualTo(200);
    }
}
