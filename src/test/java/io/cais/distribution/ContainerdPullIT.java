package io.cais.distribution;

import io.cais.testing.AdminApi;
import io.cais.testing.CriImageService;
import io.cais.testing.CriImageService.Auth;
import io.cais.testing.LoggedRequests;
import io.cais.testing.LoggedRequests.Request;
import io.cais.testing.OciLayouts;
import io.cais.testing.OciLayouts.Image;
import io.cais.testing.OciLayouts.Index;
import io.cais.testing.PullSecrets;
import io.cais.testing.RegistryNode;
import io.cais.testing.RegistryProcess;
import io.grpc.StatusRuntimeException;
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
 * The kubelet's image path: containerd's CRI {@code PullImage}, called over its socket with the credentials of a
 * Kubernetes pull Secret exported by Cais, against the packaged registry. From the registry's request log: what
 * a first pull of a multi-architecture image fetches, what an {@code imagePullPolicy: Always} repeat costs (with
 * a token and anonymously — the counts docs/kubernetes.md gives), and what a moved tag costs.
 */
@Tag("engines")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ContainerdPullIT {

    private static final Duration PULL_TIMEOUT = Duration.ofSeconds(60);

    private RegistryNode node;
    private CriImageService cri;
    private RegistryProcess registry;
    private String namespace;
    private Auth pullSecret;

    @BeforeAll
    void start() throws Exception {
        node = RegistryNode.start(Map.of());
        cri = node.cri();
        registry = node.registry();
        namespace = AdminApi.namespace("nodes", "private");
        AdminApi.Robot puller = AdminApi.robot(namespace, "kubelet", List.of("pull"), List.of("*"), null);
        pullSecret = PullSecrets.credentialsFor(puller.kubernetesSecret(), node.host() + "/" + namespace + "/any");
        assertThat(pullSecret.username()).isEqualTo(puller.username());
    }

    @AfterAll
    void stop() throws Exception {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void privateMultiArchImagePullsItsAmd64ImageWithTheCredentialsOfTheExportedPullSecret() throws Exception {
        Index index = OciLayouts.index(OciLayouts.image("amd64", 2), OciLayouts.image("arm64", 2));
        String image = node.push(namespace, "app-" + unique(), "1.0", index);

        LoggedRequests requests = LoggedRequests.from(registry);
        assertThat(cri.pullImage(image, pullSecret, PULL_TIMEOUT)).isEqualTo(index.image("amd64").config().digest());

        Image amd64 = index.image("amd64");
        List<Request> gets = requests.seen(r -> r.method().equals("GET") && r.status() == 200);
        assertThat(gets).as("with the Secret's robot").allMatch(r -> r.account().equals(pullSecret.username()));
        List<String> fetched = gets.stream().map(r -> r.path().substring(r.path().lastIndexOf('/') + 1)).toList();
        assertThat(fetched).as("the index, the amd64 manifest, its config and layers; nothing of arm64")
                .containsExactlyInAnyOrder(index.index().digest(), amd64.manifest().digest(), amd64.config().digest(),
                        amd64.layers().get(0).digest(), amd64.layers().get(1).digest());
    }

    @Test
    void unchangedImagePulledAgainCostsAHeadATokenAndAHeadAndFetchesNothing() throws Exception {
        Index index = OciLayouts.index(OciLayouts.image("amd64", 1), OciLayouts.image("arm64", 1));
        String image = node.push(namespace, "always-" + unique(), "1.0", index);
        cri.pullImage(image, pullSecret, PULL_TIMEOUT);

        LoggedRequests requests = LoggedRequests.from(registry);
        cri.pullImage(image, pullSecret, PULL_TIMEOUT);
        // containerd keeps no token between pulls: every imagePullPolicy: Always start asks for one.
        assertThat(requests.seen()).extracting(ContainerdPullIT::line).containsExactly(
                "HEAD " + LoggedRequests.MANIFEST + " 401",
                "POST " + LoggedRequests.TOKEN + " 200",
                "HEAD " + LoggedRequests.MANIFEST + " 200");
    }

    @Test
    void movedTagPullsOnlyTheNewManifest() throws Exception {
        Image amd64 = OciLayouts.image("amd64", 2);
        String repository = "moving-" + unique();
        String image = node.push(namespace, repository, "stable", OciLayouts.index(amd64, OciLayouts.image("arm64", 1)));
        cri.pullImage(image, pullSecret, PULL_TIMEOUT);

        // A rebuild for arm64 only: the tag now names a new index, with the same amd64 image in it.
        Index rebuilt = OciLayouts.index(amd64, OciLayouts.image("arm64", 1));
        node.push(namespace, repository, "stable", rebuilt);
        LoggedRequests requests = LoggedRequests.from(registry);
        assertThat(cri.pullImage(image, pullSecret, PULL_TIMEOUT)).isEqualTo(amd64.config().digest());
        List<Request> seen = requests.seen();
        // The GET of the new index goes out without the token of the HEAD before it, so it costs a second one.
        assertThat(seen).extracting(ContainerdPullIT::line).containsExactly(
                "HEAD " + LoggedRequests.MANIFEST + " 401",
                "POST " + LoggedRequests.TOKEN + " 200",
                "HEAD " + LoggedRequests.MANIFEST + " 200",
                "GET " + LoggedRequests.MANIFEST + " 401",
                "POST " + LoggedRequests.TOKEN + " 200",
                "GET " + LoggedRequests.MANIFEST + " 200");
        assertThat(seen.getLast().path()).as("the new index and nothing else").endsWith("/manifests/" + rebuilt.index().digest());
    }

    @Test
    void publicNamespacePullsAnonymouslyAndItsRepeatIsOneHead() throws Exception {
        String publicNamespace = AdminApi.namespace("open", "public");
        Index index = OciLayouts.index(OciLayouts.image("amd64", 1), OciLayouts.image("arm64", 1));
        String image = node.push(publicNamespace, "base-" + unique(), "1.0", index);
        assertThat(cri.pullImage(image, null, PULL_TIMEOUT)).isEqualTo(index.image("amd64").config().digest());

        LoggedRequests requests = LoggedRequests.from(registry);
        cri.pullImage(image, null, PULL_TIMEOUT);
        // A public namespace answers anonymous pulls without a challenge: no token to fetch.
        assertThat(requests.seen()).extracting(ContainerdPullIT::line).containsExactly(
                "HEAD " + LoggedRequests.MANIFEST + " 200");
    }

    @Test
    void wrongPasswordOrNoCredentialsFailThePullWithUnauthorized() throws Exception {
        Index index = OciLayouts.index(OciLayouts.image("amd64", 1), OciLayouts.image("arm64", 1));
        String image = node.push(namespace, "locked-" + unique(), "1.0", index);

        // A robot of its own: the registry throttles a source after repeated failures for one account.
        String robot = AdminApi.robot(namespace, "wrong-" + unique(), List.of("pull"), List.of("*"), null).username();
        Auth wrong = new Auth(robot, "not-the-secret");
        assertThatThrownBy(() -> cri.pullImage(image, wrong, PULL_TIMEOUT))
                .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("401 Unauthorized");
        assertThatThrownBy(() -> cri.pullImage(image, null, PULL_TIMEOUT))
                .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("401 Unauthorized");
    }

    @Test
    void legacySuffixedNamePullsTheIndexsAmd64ImageWithAPullSecretForTheBaseName() throws Exception {
        String legacyNamespace = AdminApi.namespace("legacy", "private");
        AdminApi.archAliases(legacyNamespace, true);
        AdminApi.Robot kubelet = AdminApi.robot(legacyNamespace, "kubelet", List.of("pull"), List.of("pause"), null);
        Index index = OciLayouts.index(OciLayouts.image("amd64", 2), OciLayouts.image("arm64", 1));
        node.push(legacyNamespace, "pause", "3.9", index);
        String legacy = node.host() + "/" + legacyNamespace + "/pause-amd64:3.9";

        LoggedRequests requests = LoggedRequests.from(registry);
        Image amd64 = index.image("amd64");
        assertThat(cri.pullImage(legacy, new Auth(kubelet.username(), kubelet.secret()), PULL_TIMEOUT))
                .isEqualTo(amd64.config().digest());
        List<Request> gets = requests.seen(r -> r.method().equals("GET") && r.status() == 200);
        assertThat(gets).as("everything under the suffixed name, as the robot for pause")
                .allMatch(r -> r.path().startsWith("/v2/" + legacyNamespace + "/pause-amd64/"))
                .allMatch(r -> r.account().equals(kubelet.username()));
        assertThat(gets.stream().map(r -> r.path().substring(r.path().lastIndexOf('/') + 1)).toList())
                .as("the amd64 image's manifest, config and layers")
                .containsExactlyInAnyOrder(amd64.manifest().digest(), amd64.config().digest(),
                        amd64.layers().get(0).digest(), amd64.layers().get(1).digest());
    }

    private static String line(Request request) {
        return request.method() + " " + request.route() + " " + request.status();
    }

    private static String unique() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
