package io.cais.testing;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/** A maximum page size of 3, so that paging and its cap are visible with a handful of items. */
public class SmallPagesProfile implements QuarkusTestProfile {

    public static final int MAX_PAGE = 3;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of("cais.distribution.max-page-size", String.valueOf(MAX_PAGE));
    }
}
