package io.cais.observability;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Route templates lose their regular expressions, so metrics and logs show the spec's paths. */
class RouteTemplatesTest {

    @Test
    void regularExpressionsAreDropped() {
        assertThat(RouteTemplates.normalize("/v2/{name: .+}/blobs/{digest: [^/]+}")).isEqualTo("/v2/{name}/blobs/{digest}");
        assertThat(RouteTemplates.normalize("/v2/{name: .+}/blobs/uploads/{uuid: [^/]+}"))
                .isEqualTo("/v2/{name}/blobs/uploads/{uuid}");
    }

    @Test
    void anOptionalSlashBecomesTheSlash() {
        assertThat(RouteTemplates.normalize("/v2/{name: .+}/blobs/uploads{slash: /?}")).isEqualTo("/v2/{name}/blobs/uploads/");
    }

    @Test
    void plainTemplatesAndTagValuesAreKept() {
        assertThat(RouteTemplates.normalize("/v2/_catalog")).isEqualTo("/v2/_catalog");
        assertThat(RouteTemplates.normalize("/v2/{name}/tags/list")).isEqualTo("/v2/{name}/tags/list");
        assertThat(RouteTemplates.normalize("NOT_FOUND")).isEqualTo("NOT_FOUND");
    }
}
