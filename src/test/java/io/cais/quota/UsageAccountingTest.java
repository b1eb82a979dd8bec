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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
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

    /**
     * Pushes, unlinks and repository deletes racing over shared blobs in two namespaces: afterwards every count equals
     * what the links say (each blob asked for by HEAD), and no request failed with a 5xx (a deadlock would).
     */
    @Test
    void concurrentPushesAndDeletesKeepTheCountsEqualToTheLinks() throws Exception {
        List<String> namespaces = List.of(AdminApi.namespace("race-a", "private"), AdminApi.namespace("race-b", "private"));
        List<String> repositories = List.of(namespaces.get(0) + "/r0", namespaces.get(0) + "/r1", namespaces.get(0) + "/r2",
                namespaces.get(1) + "/r0", namespaces.get(1) + "/r1");
        List<byte[]> blobs = IntStream.range(0, 6).mapToObj(i -> Blobs.random(1_000 + 500 * i)).toList();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<List<Integer>>> workers = new ArrayList<>();
        for (int w = 0; w < 6; w++) {
            workers.add(pool.submit(() -> {
                Random random = new Random();
                List<Integer> statuses = new ArrayList<>();
                for (int i = 0; i < 15; i++) {
                    String repository = repositories.get(random.nextInt(repositories.size()));
                    byte[] blob = blobs.get(random.nextInt(blobs.size()));
                    int op = random.nextInt(10);
                    if (op < 6) {
                        statuses.add(Pushes.blob(repository, blob).statusCode());
                    } else if (op < 9) {
                        statuses.add(registry().delete("/v2/" + repository + "/blobs/" + Blobs.sha256(blob)).statusCode());
                    } else {
                        statuses.add(asAdmin().delete("/api/v1/namespaces/" + repository.replaceFirst("/", "/repositories/")).statusCode());
                    }
                }
                return statuses;
            }));
        }
        for (Future<List<Integer>> worker : workers) {
            assertThat(worker.get()).allMatch(status -> status < 500);
        }
        pool.shutdown();

        Map<String, Set<byte[]>> linked = new HashMap<>();
        for (String repository : repositories) {
            linked.put(repository, blobs.stream().filter(b -> registry().head("/v2/" + repository + "/blobs/" + Blobs.sha256(b))
                    .statusCode() == 200).collect(Collectors.toSet()));
        }
        for (String namespace : namespaces) {
            Set<byte[]> mine = repositories.stream().filter(r -> r.startsWith(namespace + "/"))
                    .flatMap(r -> linked.get(r).stream()).collect(Collectors.toSet());
            Set<byte[]> elsewhere = repositories.stream().filter(r -> !r.startsWith(namespace + "/"))
                    .flatMap(r -> linked.get(r).stream()).collect(Collectors.toSet());
            JsonPath usage = usage(namespace);
            assertThat(usage.getLong("bytes")).as(namespace).isEqualTo(sum(List.copyOf(mine)));
            assertThat(usage.getLong("blobs")).as(namespace).isEqualTo(mine.size());
            assertThat(usage.getLong("sharedBytes")).as(namespace)
                    .isEqualTo(sum(mine.stream().filter(elsewhere::contains).toList()));
            JsonPath page = asAdmin().get("/api/v1/namespaces/" + namespace + "/repositories/usage").then().statusCode(200)
                    .extract().jsonPath();
            for (String repository : repositories.stream().filter(r -> r.startsWith(namespace + "/")).toList()) {
                Set<byte[]> others = repositories.stream().filter(r -> !r.equals(repository))
                        .flatMap(r -> linked.get(r).stream()).collect(Collectors.toSet());
                String entry = "repositories.find { it.name == '" + repository + "' }";
                long bytes = page.get(entry) == null ? 0 : page.getLong(entry + ".bytes");
                long shared = page.get(entry) == null ? 0 : page.getLong(entry + ".sharedBytes");
                assertThat(bytes).as(repository).isEqualTo(sum(List.copyOf(linked.get(repository))));
                assertThat(shared).as(repository)
                        .isEqualTo(sum(linked.get(repository).stream().filter(others::contains).toList()));
            }
        }
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
