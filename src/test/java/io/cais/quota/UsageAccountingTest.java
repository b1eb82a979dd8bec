package io.cais.quota;

import io.cais.observability.UsageMetrics;
import io.cais.testing.AdminApi;
import io.cais.testing.Blobs;
import io.cais.testing.PostgresTestResource;
import io.cais.testing.PrometheusText;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.cais.quota.Pushes.registry;
import static io.cais.testing.AdminApi.asAdmin;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Usage accounting, exact from the rows and equal to what the blob store holds: images sharing a base layer in two
 * repositories of one namespace and in another namespace; what follows a manifest delete, a blob unlink, a repository
 * delete and a namespace delete; the per-repository pages, the server total and the per-namespace gauges.
 */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class UsageAccountingTest {

    @ConfigProperty(name = "cais.storage.filesystem.root")
    Path storeRoot;

    @Inject
    UsageMetrics metrics;

    private final byte[] base = Blobs.random(30_000);
    private final byte[] layerOne = Blobs.random(7_000);
    private final byte[] layerTwo = Blobs.random(5_000);
    private final byte[] layerOther = Blobs.random(3_000);
    private final byte[] configOne = Pushes.config("one");
    private final byte[] configTwo = Pushes.config("two");
    private final byte[] configOther = Pushes.config("other");

    @Test
    void usageCountsDistinctBlobsOncePerNamespaceAndEqualsTheStoredObjects() {
        String team = AdminApi.namespace("usage", "private");
        String other = AdminApi.namespace("usage-other", "private");
        byte[] manifestOne = Pushes.image(team + "/one", "v1", configOne, List.of(base, layerOne));
        byte[] manifestTwo = Pushes.image(team + "/two", "v1", configTwo, List.of(base, layerTwo));
        Pushes.image(other + "/app", "v1", configOther, List.of(base, layerOther));

        List<byte[]> teamBlobs = List.of(base, layerOne, layerTwo, configOne, configTwo);
        JsonPath usage = usage(team);
        assertThat(usage.getLong("bytes")).isEqualTo(sum(teamBlobs)).isEqualTo(storedSizes(teamBlobs));
        assertThat(usage.getLong("blobs")).isEqualTo(5);
        assertThat(usage.getLong("sharedBytes")).isEqualTo(base.length);
        assertThat(usage.getLong("sharedBlobs")).isEqualTo(1);
        assertThat(usage.getLong("uniqueBytes")).isEqualTo(sum(List.of(layerOne, layerTwo, configOne, configTwo)));
        assertThat(usage.getLong("repositories")).isEqualTo(2);
        assertThat(usage.getLong("tags")).isEqualTo(2);
        assertThat(usage.getLong("manifests")).isEqualTo(2);
        assertThat(usage.getLong("manifestBytes")).isEqualTo(manifestOne.length + manifestTwo.length);
        assertThat(usage.getString("quotaBytes")).isNull();

        JsonPath otherUsage = usage(other);
        assertThat(otherUsage.getLong("bytes")).isEqualTo(sum(List.of(base, layerOther, configOther)))
                .isEqualTo(storedSizes(List.of(base, layerOther, configOther)));
        assertThat(otherUsage.getLong("sharedBytes")).isEqualTo(base.length);

        // Per repository: the base is shared by the other repository (and namespace), the rest is the repository's own.
        JsonPath first = asAdmin().get("/api/v1/namespaces/" + team + "/repositories/usage?n=1").then().statusCode(200)
                .extract().jsonPath();
        assertThat(first.getList("repositories.name")).containsExactly(team + "/one");
        assertThat(first.getLong("repositories[0].bytes")).isEqualTo(sum(List.of(base, layerOne, configOne)));
        assertThat(first.getLong("repositories[0].sharedBytes")).isEqualTo(base.length);
        assertThat(first.getLong("repositories[0].uniqueBytes")).isEqualTo(sum(List.of(layerOne, configOne)));
        assertThat(first.getLong("repositories[0].manifestBytes")).isEqualTo(manifestOne.length);
        assertThat(first.getString("next")).isEqualTo(team + "/one");
        JsonPath second = asAdmin().get("/api/v1/namespaces/" + team + "/repositories/usage?n=1&last=" + team + "/one")
                .then().statusCode(200).extract().jsonPath();
        assertThat(second.getList("repositories.name")).containsExactly(team + "/two");
        assertThat(second.getString("next")).isNull();

        // A manifest delete removes no link (garbage collection does): the stored bytes stay, the manifest goes.
        registry().delete("/v2/" + team + "/two/manifests/" + Blobs.sha256(manifestTwo)).then().statusCode(202);
        usage = usage(team);
        assertThat(usage.getLong("bytes")).isEqualTo(sum(teamBlobs));
        assertThat(usage.getLong("manifests")).isEqualTo(1);
        assertThat(usage.getLong("tags")).isEqualTo(1);

        // Unlinking a blob the namespace stores once takes its bytes off.
        registry().delete("/v2/" + team + "/two/blobs/" + Blobs.sha256(layerTwo)).then().statusCode(202);
        assertThat(usage(team).getLong("bytes")).isEqualTo(sum(List.of(base, layerOne, configOne, configTwo)));

        // Deleting a repository takes off what only it linked; the base stays (team/one links it too).
        asAdmin().delete("/api/v1/namespaces/" + team + "/repositories/two").then().statusCode(204);
        usage = usage(team);
        assertThat(usage.getLong("bytes")).isEqualTo(sum(List.of(base, layerOne, configOne)))
                .isEqualTo(storedSizes(List.of(base, layerOne, configOne)));
        assertThat(usage.getLong("repositories")).isEqualTo(1);
        assertThat(usage.getLong("sharedBytes")).isEqualTo(base.length);

        // Once the other namespace is gone, the base is the team's alone.
        asAdmin().delete("/api/v1/namespaces/" + other).then().statusCode(204);
        usage = usage(team);
        assertThat(usage.getLong("sharedBytes")).isZero();
        assertThat(usage.getLong("uniqueBytes")).isEqualTo(sum(List.of(base, layerOne, configOne)));
        JsonPath repository = asAdmin().get("/api/v1/namespaces/" + team + "/repositories/usage").then().statusCode(200)
                .extract().jsonPath();
        assertThat(repository.getLong("repositories[0].sharedBytes")).isZero();
    }

    @Test
    void theServerTotalIsForServerAdminsAndTheGaugesAreTaggedByNamespaceOnly() {
        String team = AdminApi.namespace("gauge", "private");
        byte[] blob = Blobs.random(4_321);
        Pushes.blob(team + "/app", blob).then().statusCode(201);

        JsonPath server = asAdmin().get("/api/v1/usage").then().statusCode(200).extract().jsonPath();
        assertThat(server.getLong("bytes")).isGreaterThanOrEqualTo(server.getLong("linkedBytes")).isGreaterThanOrEqualTo(blob.length);
        assertThat(server.getLong("repositories")).isPositive();
        String user = AdminApi.user("gauge-admin", "pw-gauge-admin");
        AdminApi.member(team, user, "admin");
        AdminApi.as(user, "pw-gauge-admin").get("/api/v1/usage").then().statusCode(403);

        metrics.refresh();
        String text = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertThat(PrometheusText.value(text, "cais_namespace_stored_bytes{namespace=\"" + team + "\"}")).isEqualTo(blob.length);
        assertThat(text).doesNotContain("repository=\"");
    }

    private static JsonPath usage(String namespace) {
        return asAdmin().get("/api/v1/namespaces/" + namespace + "/usage").then().statusCode(200).extract().jsonPath();
    }

    private static long sum(List<byte[]> blobs) {
        return blobs.stream().mapToLong(b -> b.length).sum();
    }

    /** The sizes of the given blobs' files, found by listing the store's blob directory. */
    private long storedSizes(List<byte[]> blobs) {
        Set<String> names = blobs.stream().map(b -> Blobs.sha256(b).substring("sha256:".length())).collect(Collectors.toSet());
        try (Stream<Path> files = Files.walk(storeRoot.resolve("blobs"))) {
            Map<String, Long> sizes = files.filter(Files::isRegularFile).filter(f -> names.contains(f.getFileName().toString()))
                    .collect(Collectors.toMap(f -> f.getFileName().toString(), UsageAccountingTest::size));
            assertThat(sizes.keySet()).containsExactlyInAnyOrderElementsOf(names);
            return sizes.values().stream().mapToLong(Long::longValue).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
