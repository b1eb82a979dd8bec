package io.cais.alias;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Which names are arch aliases of which base name and platform, and which index entry a platform picks. */
class ArchAliasNameTest {

    @Test
    void aSuffixOfAnArchitectureAndOptionallyAVariantNamesTheBaseAndThePlatform() {
        assertThat(ArchAlias.parse("ns/pause-amd64")).contains(new ArchAlias("ns/pause-amd64", "ns/pause", new Platform("amd64", "")));
        assertThat(ArchAlias.parse("ns/tools/kube-proxy-arm64")).contains(
                new ArchAlias("ns/tools/kube-proxy-arm64", "ns/tools/kube-proxy", new Platform("arm64", "")));
        assertThat(ArchAlias.parse("pause-arm-v7")).contains(new ArchAlias("pause-arm-v7", "pause", new Platform("arm", "v7")));
        assertThat(ArchAlias.parse("ns/pause-arm64-v8")).contains(new ArchAlias("ns/pause-arm64-v8", "ns/pause", new Platform("arm64", "v8")));
        for (String architecture : List.of("386", "ppc64le", "s390x", "riscv64", "loong64", "mips64le")) {
            assertThat(ArchAlias.parse("ns/pause-" + architecture)).map(ArchAlias::base).contains("ns/pause");
        }
    }

    @Test
    void otherNamesAreNoAliases() {
        for (String name : List.of("ns/pause", "ns/amd64", "ns/pause-x86", "ns/pause-v7", "ns/pause-amd64-x",
                "ns/pause--amd64", "ns/-amd64", "ns/pause-amd64/sub", "ns/pause-AMD64", "ns/pause-arm-v", "ns/pause-arm-7")) {
            assertThat(ArchAlias.parse(name)).as(name).isEmpty();
        }
    }

    @Test
    void aPlatformPicksTheFirstLinuxImageEntryWithItsArchitectureAndNormalizedVariant() {
        byte[] index = json("""
                {"schemaVersion":2,"manifests":[
                  {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:win","size":1,
                   "platform":{"os":"windows","architecture":"amd64"}},
                  {"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:nested","size":1,
                   "platform":{"os":"linux","architecture":"amd64"}},
                  {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:amd64","size":1,
                   "platform":{"os":"linux","architecture":"amd64","variant":"v1"}},
                  {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:armv6","size":1,
                   "platform":{"os":"linux","architecture":"arm","variant":"v6"}},
                  {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"sha256:armv7","size":1,
                   "platform":{"os":"linux","architecture":"arm","variant":"7"}},
                  {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:arm64","size":1,
                   "platform":{"os":"linux","architecture":"arm64"}}]}""");
        assertThat(new Platform("amd64", "").entryOf(index)).contains("sha256:amd64");
        assertThat(new Platform("arm", "").entryOf(index)).contains("sha256:armv7");
        assertThat(new Platform("arm", "v7").entryOf(index)).contains("sha256:armv7");
        assertThat(new Platform("arm", "v6").entryOf(index)).contains("sha256:armv6");
        assertThat(new Platform("arm64", "v8").entryOf(index)).contains("sha256:arm64");
        assertThat(new Platform("arm64", "v9").entryOf(index)).isEmpty();
        assertThat(new Platform("s390x", "").entryOf(index)).isEmpty();
        assertThat(new Platform("arm64", "").lists(index, "sha256:arm64")).isTrue();
        assertThat(new Platform("arm64", "").lists(index, "sha256:amd64")).isFalse();
        assertThat(new Platform("amd64", "").entryOf(json("not json"))).isEmpty();
    }

    private static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
