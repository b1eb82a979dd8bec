package io.cais.sweep;

import io.cais.testing.AdminApi;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The consistency check on the filesystem store: rows against objects, sizes, re-hashed digests, and repair. */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class FsckTest {

    private static JsonPath fsck(Map<String, Object> request) {
        return AdminApi.asAdmin().body(request).post("/api/v1/fsck").then().statusCode(200).extract().jsonPath();
    }

    /** The problem reported for {@code digest}, or null. */
    private static Map<String, Object> problem(JsonPath report, String digest) {
        List<Map<String, Object>> problems = report.getList("problems");
        return problems.stream().filter(p -> digest.equals(p.get("digest"))).findFirst().orElse(null);
    }

    private static Path file(String digest) {
        return FilesystemStoreSweepTest.blobFile(digest);
    }

    @Test
    void aMissingATruncatedAndACorruptedObjectAreReportedAndAHealthyOneIsNot() throws Exception {
        String repo = Blobs.repository("fsck");
        String missing = StoreSweepContract.push(repo, Blobs.random(1000));
        String truncated = StoreSweepContract.push(repo, Blobs.random(1000));
        byte[] content = Blobs.random(1000);
        String corrupted = StoreSweepContract.push(repo, content);
        String healthy = StoreSweepContract.push(repo, Blobs.random(1000));
        Files.delete(file(missing));
        try (FileChannel channel = FileChannel.open(file(truncated), StandardOpenOption.WRITE)) {
            channel.truncate(400);
        }
        content[500] ^= 1;
        Files.write(file(corrupted), content);

        JsonPath sizesOnly = fsck(Map.of());
        assertThat(problem(sizesOnly, missing)).containsEntry("kind", "missing").containsEntry("referenced", true)
                .containsEntry("repaired", false).doesNotContainKey("storedSize");
        assertThat(problem(sizesOnly, truncated)).containsEntry("kind", "wrong-size").containsEntry("size", 1000)
                .containsEntry("storedSize", 400);
        assertThat(problem(sizesOnly, corrupted)).isNull();
        assertThat(sizesOnly.getString("rehash")).isEqualTo("none");

        JsonPath rehashed = fsck(Map.of("rehash", "all"));
        assertThat(problem(rehashed, corrupted)).containsEntry("kind", "wrong-digest")
                .containsEntry("actualDigest", Blobs.sha256(content));
        assertThat(problem(rehashed, missing)).isNotNull();
        assertThat(problem(rehashed, truncated)).isNotNull();
        assertThat(problem(rehashed, healthy)).isNull();
        assertThat(rehashed.getLong("rehashed")).isGreaterThanOrEqualTo(2);
        assertThat(rehashed.getLong("checked")).isGreaterThanOrEqualTo(4);

        forget(repo, truncated, corrupted);
    }

    @Test
    void repairDeletesTheRowOfAnUnreferencedBlobWithoutItsObjectAndNeverTouchesReferencedOnes() throws Exception {
        String repo = Blobs.repository("fsck-repair");
        String unreferenced = StoreSweepContract.push(repo, Blobs.random(500));
        String referenced = StoreSweepContract.push(repo, Blobs.random(500));
        StoreSweepContract.request().delete("/v2/" + repo + "/blobs/" + unreferenced).then().statusCode(202);
        Files.delete(file(unreferenced));
        Files.delete(file(referenced));

        JsonPath repaired = fsck(Map.of("repair", true));

        assertThat(problem(repaired, unreferenced)).containsEntry("kind", "missing").containsEntry("referenced", false)
                .containsEntry("repaired", true);
        assertThat(problem(repaired, referenced)).containsEntry("referenced", true).containsEntry("repaired", false);
        JsonPath after = fsck(Map.of());
        assertThat(problem(after, unreferenced)).isNull();
        assertThat(problem(after, referenced)).containsEntry("kind", "missing");

        forget(repo);
    }

    @Test
    void anUnknownRehashModeIsAnInvalidRequest() {
        AdminApi.asAdmin().body(Map.of("rehash", "some")).post("/api/v1/fsck").then().statusCode(400)
                .body("errors[0].code", org.hamcrest.Matchers.equalTo("INVALID_REQUEST"));
    }

    /** Leaves no damaged content behind for other tests: deletes the repository, its damaged objects and their rows. */
    private static void forget(String repo, String... damaged) throws Exception {
        AdminApi.asAdmin().delete("/api/v1/namespaces/" + Blobs.NAMESPACE + "/repositories/"
                + repo.substring(Blobs.NAMESPACE.length() + 1)).then().statusCode(204);
        for (String digest : damaged) {
            Files.deleteIfExists(file(digest));
        }
        fsck(Map.of("repair", true));
    }
}
