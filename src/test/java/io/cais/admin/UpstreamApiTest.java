package io.cais.admin;

import io.cais.testing.AdminApi;
import io.cais.testing.PostgresTestResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.endsWith;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

/** The admin API of the pull-through cache's upstreams (server administrators only). */
@QuarkusTest
@QuarkusTestResource(PostgresTestResource.class)
class UpstreamApiTest {

    private static final String UPSTREAMS = "/api/v1/upstreams";

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    void serverAdminAddsAnUpstreamWhoseNamespaceIsCreatedAndWhosePasswordIsNeverReturned() {
        String name = unique("quay") + ".example";
        String namespace = unique("cache");
        AdminApi.asAdmin().body(Map.of("name", name, "url", "https://quay.example", "namespace", namespace,
                        "username", "me", "password", "s3cret-token"))
                .post(UPSTREAMS).then().statusCode(201)
                .header("Location", endsWith(UPSTREAMS + "/" + name))
                .body("namespace", equalTo(namespace)).body("username", equalTo("me")).body("hasPassword", equalTo(true))
                .body("maxConcurrency", equalTo(8)).body(not(containsString("s3cret-token")));
        AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace).then().statusCode(200).body("visibility", equalTo("private"));
        AdminApi.asAdmin().get(UPSTREAMS).then().statusCode(200).body("name", hasItem(name))
                .body(not(containsString("s3cret-token")));
        AdminApi.asAdmin().get(UPSTREAMS + "/" + name).then().statusCode(200).body("password", nullValue());
    }

    @Test
    void anUpdateWithoutAPasswordKeepsTheStoredCredentials() {
        String name = unique("ghcr") + ".example";
        AdminApi.asAdmin().body(Map.of("name", name, "url", "https://ghcr.example", "namespace", unique("gh"),
                "username", "bot", "password", "pat")).post(UPSTREAMS).then().statusCode(201);
        AdminApi.asAdmin().body(Map.of("url", "https://mirror.ghcr.example/", "maxConcurrency", 2))
                .put(UPSTREAMS + "/" + name).then().statusCode(200)
                .body("url", equalTo("https://mirror.ghcr.example/")).body("maxConcurrency", equalTo(2))
                .body("username", equalTo("bot")).body("hasPassword", equalTo(true));
    }

    @Test
    void anUpstreamsRequestRateIsOptionalAndAnUpdateWithoutOneRemovesIt() {
        String name = unique("hub") + ".example";
        AdminApi.asAdmin().body(Map.of("name", name, "url", "https://hub.example", "namespace", unique("hub")))
                .post(UPSTREAMS).then().statusCode(201).body("maxRequestsPerMinute", nullValue());
        AdminApi.asAdmin().body(Map.of("url", "https://hub.example", "maxRequestsPerMinute", 100))
                .put(UPSTREAMS + "/" + name).then().statusCode(200).body("maxRequestsPerMinute", equalTo(100));
        AdminApi.asAdmin().get(UPSTREAMS + "/" + name).then().statusCode(200).body("maxRequestsPerMinute", equalTo(100));
        AdminApi.asAdmin().body(Map.of("url", "https://hub.example", "maxRequestsPerMinute", 0))
                .put(UPSTREAMS + "/" + name).then().statusCode(400).body("errors[0].code", equalTo("INVALID_REQUEST"))
                .body("errors[0].message", containsString("maxRequestsPerMinute"));
        AdminApi.asAdmin().body(Map.of("url", "https://hub.example"))
                .put(UPSTREAMS + "/" + name).then().statusCode(200).body("maxRequestsPerMinute", nullValue());
    }

    @Test
    void anUpstreamOfAnExistingNamespaceIsAddedAndDeletingItKeepsTheNamespace() {
        String namespace = AdminApi.namespace("existing", "public");
        String name = unique("k8s") + ".example";
        AdminApi.asAdmin().body(Map.of("name", name, "url", "http://127.0.0.1:1", "namespace", namespace))
                .post(UPSTREAMS).then().statusCode(201).body("hasPassword", equalTo(false));
        AdminApi.asAdmin().delete(UPSTREAMS + "/" + name).then().statusCode(204);
        AdminApi.asAdmin().delete(UPSTREAMS + "/" + name).then().statusCode(404);
        AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace).then().statusCode(200).body("visibility", equalTo("public"));
    }

    @Test
    void invalidOrConflictingUpstreamsAreRefused() {
        String namespace = unique("bad");
        AdminApi.asAdmin().body(Map.of("name", "Not A Host", "url", "https://x.example", "namespace", namespace))
                .post(UPSTREAMS).then().statusCode(400).body("errors[0].code", equalTo("INVALID_REQUEST"));
        AdminApi.asAdmin().body(Map.of("name", "x.example", "url", "ftp://x.example", "namespace", namespace))
                .post(UPSTREAMS).then().statusCode(400).body("errors[0].code", equalTo("INVALID_REQUEST"));
        AdminApi.asAdmin().body(Map.of("name", "x.example", "url", "https://x.example", "namespace", "Bad_Namespace!"))
                .post(UPSTREAMS).then().statusCode(400).body("errors[0].code", equalTo("NAME_INVALID"));
        AdminApi.asAdmin().body(Map.of("name", "x.example", "url", "https://x.example", "namespace", namespace,
                "maxConcurrency", 0)).post(UPSTREAMS).then().statusCode(400);
        AdminApi.asAdmin().body(Map.of("name", "x.example", "url", "https://x.example", "namespace", namespace,
                "maxRequestsPerMinute", -1)).post(UPSTREAMS).then().statusCode(400);
        AdminApi.asAdmin().body(Map.of("name", "x.example", "url", "https://x.example", "namespace", namespace,
                "username", "only-a-name")).post(UPSTREAMS).then().statusCode(400);

        String name = unique("dup") + ".example";
        AdminApi.asAdmin().body(Map.of("name", name, "url", "https://x.example", "namespace", namespace))
                .post(UPSTREAMS).then().statusCode(201);
        AdminApi.asAdmin().body(Map.of("name", name, "url", "https://y.example", "namespace", unique("other")))
                .post(UPSTREAMS).then().statusCode(409).body("errors[0].code", equalTo("CONFLICT"));
        AdminApi.asAdmin().body(Map.of("name", unique("second") + ".example", "url", "https://y.example", "namespace", namespace))
                .post(UPSTREAMS).then().statusCode(409);
        AdminApi.asAdmin().get(UPSTREAMS + "/nope.example").then().statusCode(404);
    }

    @Test
    void onlyServerAdminsManageUpstreams() {
        String user = AdminApi.user("plain", "plain-password");
        AdminApi.as(user, "plain-password").get(UPSTREAMS).then().statusCode(403);
        AdminApi.as(user, "plain-password").body(Map.of("name", "z.example", "url", "https://z.example", "namespace", "z"))
                .post(UPSTREAMS).then().statusCode(403);
    }
}
