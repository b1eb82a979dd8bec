package io.cais.distribution;

import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.SmallPagesProfile;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.cais.distribution.BlobApiContract.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

/** Content discovery: tag lists and the catalog, in lexical order, paged, and capped (here at 3 per page). */
@QuarkusTest
@TestProfile(SmallPagesProfile.class)
@QuarkusTestResource(PostgresTestResource.class)
class ListingApiTest {

    @Test
    void tagsAreListedInLexicalOrder() {
        String repo = Blobs.repository("tags");
        String digest = Manifests.pushImage(repo, "b");
        for (String tag : List.of("a", "B", "a10", "a2")) {
            Manifests.put(repo, tag, io.cais.content.MediaTypes.OCI_MANIFEST,
                    request().get("/v2/" + repo + "/manifests/" + digest).asByteArray()).then().statusCode(201);
        }
        request().get("/v2/" + repo + "/tags/list?n=3").then().statusCode(200)
                .body("name", equalTo(repo))
                .body("tags", contains("B", "a", "a10"));
    }

    @Test
    void tagListPagesWithNAndLastAndALinkToTheNextPage() {
        String repo = Blobs.repository("tags");
        List<String> tags = pushTags(repo, 5);

        Response first = request().get("/v2/" + repo + "/tags/list?n=2");
        first.then().statusCode(200).body("tags", contains(tags.get(0), tags.get(1)));
        assertThat(first.header("Link")).isEqualTo("</v2/" + repo + "/tags/list?n=2&last=" + tags.get(1) + ">; rel=\"next\"");

        request().get("/v2/" + repo + "/tags/list?n=2&last=" + tags.get(1)).then().statusCode(200)
                .body("tags", contains(tags.get(2), tags.get(3)));
        request().get("/v2/" + repo + "/tags/list?n=2&last=" + tags.get(3)).then().statusCode(200)
                .header("Link", nullValue())
                .body("tags", contains(tags.get(4)));
    }

    @Test
    void tagListIsCappedByTheMaximumPageSize() {
        String repo = Blobs.repository("tags");
        List<String> tags = pushTags(repo, 5);
        for (String n : new String[] {null, "1000000"}) {
            Response page = request().get("/v2/" + repo + "/tags/list" + (n == null ? "" : "?n=" + n));
            page.then().statusCode(200).body("tags.size()", equalTo(SmallPagesProfile.MAX_PAGE));
            assertThat(page.header("Link")).contains("last=" + tags.get(2));
        }
    }

    @Test
    void walkingTheLinksListsEveryTagOnce() {
        String repo = Blobs.repository("tags");
        List<String> tags = pushTags(repo, 7);
        List<String> seen = new ArrayList<>();
        String next = "/v2/" + repo + "/tags/list";
        while (next != null) {
            Response page = request().get(next);
            seen.addAll(page.jsonPath().getList("tags", String.class));
            String link = page.header("Link");
            next = link == null ? null : link.substring(1, link.indexOf('>'));
        }
        assertThat(seen).containsExactlyElementsOf(tags);
    }

    @Test
    void zeroTagsAskedAreZeroGiven() {
        String repo = Blobs.repository("tags");
        pushTags(repo, 2);
        request().get("/v2/" + repo + "/tags/list?n=0").then().statusCode(200).body("tags.size()", equalTo(0))
                .header("Link", nullValue());
    }

    @Test
    void invalidPageSizeIsRejected() {
        String repo = Blobs.repository("tags");
        pushTags(repo, 1);
        for (String n : List.of("-1", "x", "99999999999")) {
            request().get("/v2/" + repo + "/tags/list?n=" + n).then().statusCode(400)
                    .body("errors[0].code", equalTo("PAGINATION_NUMBER_INVALID"));
        }
    }

    @Test
    void tagsOfAnUnknownRepositoryAreNameUnknown() {
        request().get("/v2/tests/no-such-repo/tags/list").then().statusCode(404).body("errors[0].code", equalTo("NAME_UNKNOWN"));
    }

    @Test
    void catalogPagesThroughRepositoriesInLexicalOrder() {
        String prefix = "tests/catalog-" + java.util.UUID.randomUUID().toString().substring(0, 6);
        for (String name : List.of("c", "a", "b", "d")) {
            Manifests.pushImage(prefix + "/" + name, "v1");
        }
        List<String> seen = new ArrayList<>();
        String next = "/v2/_catalog?n=2&last=" + prefix;
        while (next != null && seen.size() < 4) {
            Response page = request().get(next);
            page.then().statusCode(200);
            List<String> repositories = page.jsonPath().getList("repositories", String.class);
            assertThat(repositories.size()).isLessThanOrEqualTo(2);
            seen.addAll(repositories);
            String link = page.header("Link");
            next = link == null ? null : link.substring(1, link.indexOf('>'));
        }
        assertThat(seen).startsWith(prefix + "/a", prefix + "/b", prefix + "/c", prefix + "/d");
    }

    @Test
    void aRepositoryIsInTheCatalogOnceItHoldsABlobNotForAnUploadThatNeverCompleted() {
        String prefix = "tests/catalog-" + java.util.UUID.randomUUID().toString().substring(0, 6);
        String interrupted = prefix + "/interrupted";
        String blobOnly = prefix + "/blob-only";
        request().post("/v2/" + interrupted + "/blobs/uploads/").then().statusCode(202);
        byte[] blob = Blobs.random(100);
        request().contentType("application/octet-stream").body(blob)
                .post("/v2/" + blobOnly + "/blobs/uploads/?digest=" + Blobs.sha256(blob)).then().statusCode(201);
        Manifests.pushImage(prefix + "/image", "v1");

        List<String> listed = request().get("/v2/_catalog?n=3&last=" + prefix).jsonPath().getList("repositories", String.class);

        assertThat(listed).as("an interrupted first push leaves no repository to list")
                .startsWith(prefix + "/blob-only", prefix + "/image").doesNotContain(interrupted);
    }

    @Test
    void catalogIsCappedByTheMaximumPageSize() {
        for (int i = 0; i < 4; i++) {
            Manifests.pushImage(Blobs.repository("cap"), "v1");
        }
        Response page = request().get("/v2/_catalog?n=100");
        page.then().statusCode(200).body("repositories.size()", equalTo(SmallPagesProfile.MAX_PAGE));
        assertThat(page.header("Link")).startsWith("</v2/_catalog?n=3&last=");
    }

    private static List<String> pushTags(String repo, int count) {
        String digest = Manifests.pushImage(repo, "t0");
        byte[] manifest = request().get("/v2/" + repo + "/manifests/" + digest).asByteArray();
        List<String> tags = new ArrayList<>(List.of("t0"));
        for (int i = 1; i < count; i++) {
            Manifests.put(repo, "t" + i, io.cais.content.MediaTypes.OCI_MANIFEST, manifest).then().statusCode(201);
            tags.add("t" + i);
        }
        return tags;
    }
}
