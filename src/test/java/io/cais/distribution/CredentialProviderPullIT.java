package io.cais.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import io.cais.testing.AdminApi;
import io.cais.testing.CredentialProvider;
import io.cais.testing.CriImageService;
import io.cais.testing.LoggedRequests;
import io.cais.testing.OciLayouts;
import io.cais.testing.OciLayouts.Index;
import io.cais.testing.RegistryNode;
import io.cais.testing.ServiceAccountSigner;
import io.grpc.StatusRuntimeException;
import io.restassured.path.json.JsonPath;
import org.jose4j.jwt.JwtClaims;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Workload identity end to end, the way a node pulls a pod's image: the kubelet hands the shipped credential-provider
 * plugin a CredentialProviderRequest with the pod's service-account token (signed here by a key standing in for the
 * cluster's, whose public half the namespace uploaded), and passes the plugin's answer to containerd's CRI
 * {@code PullImage}. No pull Secret exists anywhere. The pull then shows among the digest's consumers.
 */
@Tag("engines")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CredentialProviderPullIT {

    private static final Duration PULL_TIMEOUT = Duration.ofSeconds(60);

    private RegistryNode node;
    private CriImageService cri;
    private String namespace;
    private ServiceAccountSigner cluster;

    @BeforeAll
    void start() throws Exception {
        node = RegistryNode.start(Map.of("cais.workload-identity.audit-flush-interval", "PT1S"));
        cri = node.cri();
        cluster = ServiceAccountSigner.rsa();
        namespace = AdminApi.namespace("payments", "private");
        AdminApi.trustPullsFrom(namespace, cluster, "payments");
    }

    @AfterAll
    void stop() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void podPullsAPrivateMultiArchImageWithItsServiceAccountTokenAndThePullIsAudited() throws Exception {
        Index index = OciLayouts.index(OciLayouts.image("amd64", 2), OciLayouts.image("arm64", 1));
        String image = node.push(namespace, "api-" + unique(), "1.0", index);
        JwtClaims claims = cluster.claims("payments", "api");
        @SuppressWarnings("unchecked")
        String pod = ((Map<String, Map<String, String>>) claims.getClaimsMap().get("kubernetes.io")).get("pod").get("name");

        JsonNode answer = CredentialProvider.respond(CredentialProvider.request(image, cluster.sign(claims),
                Map.of("cais.example.com/team", "payments")));
        CriImageService.Auth credentials = CredentialProvider.credentials(answer, node.host());
        LoggedRequests requests = LoggedRequests.from(node.registry());
        assertThat(cri.pullImage(image, credentials, PULL_TIMEOUT)).isEqualTo(index.image("amd64").config().digest());
        assertThat(requests.seen(r -> r.method().equals("GET") && r.status() == 200))
                .as("every fetch made with the registry token issued to the pod's service account")
                .isNotEmpty().allMatch(r -> r.account().equals("system:serviceaccount:payments:api"));

        JsonPath consumers = consumersOf(index.index().digest());
        assertThat(consumers.getString("[0].issuer")).isEqualTo(cluster.issuer());
        assertThat(consumers.getString("[0].kubernetesNamespace")).isEqualTo("payments");
        assertThat(consumers.getString("[0].serviceAccount")).isEqualTo("api");
        assertThat(consumers.getString("[0].pod")).isEqualTo(pod);
        assertThat(consumers.getString("[0].node")).isEqualTo("node-a");
        assertThat(consumersOf(index.image("amd64").manifest().digest()).getString("[0].pod")).isEqualTo(pod);
    }

    @Test
    void podsWhoseTokensNoRuleMapsOrNoTrustedKeySignedAreRefused() throws Exception {
        Index index = OciLayouts.index(OciLayouts.image("amd64", 1), OciLayouts.image("arm64", 1));
        String image = node.push(namespace, "locked-" + unique(), "1.0", index);
        for (String token : List.of(cluster.token("frontend", "web"), ServiceAccountSigner.rsa().token("payments", "api"))) {
            CriImageService.Auth credentials = CredentialProvider.credentials(
                    CredentialProvider.respond(CredentialProvider.request(image, token, Map.of())), node.host());
            assertThatThrownBy(() -> cri.pullImage(image, credentials, PULL_TIMEOUT))
                    .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("401 Unauthorized");
        }
    }

    /** The consumers of a digest, once the replica has written its tallies (every second here). */
    private JsonPath consumersOf(String digest) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (true) {
            JsonPath consumers = AdminApi.asAdmin().get("/api/v1/namespaces/" + namespace + "/digests/" + digest + "/consumers")
                    .then().statusCode(200).extract().jsonPath();
            if (!consumers.getList("$").isEmpty() || System.nanoTime() > deadline) {
                assertThat(consumers.getList("$")).as("consumers of %s", digest).isNotEmpty();
                return consumers;
            }
            Thread.sleep(200);
        }
    }

    private static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
