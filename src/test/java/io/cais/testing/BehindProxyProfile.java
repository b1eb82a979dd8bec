package io.cais.testing;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/**
 * The registry behind a TLS-terminating proxy that forwards {@code X-Forwarded-*} (trusted: loopback), with a
 * login throttle small enough to reach in a test: 3 failures per account and address, 6 per address.
 */
public class BehindProxyProfile implements QuarkusTestProfile {

    public static final int FAILURES = 3;
    public static final int SOURCE_FAILURES = 6;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "quarkus.http.proxy.proxy-address-forwarding", "true",
                "quarkus.http.proxy.allow-x-forwarded", "true",
                "quarkus.http.proxy.enable-forwarded-host", "true",
                "quarkus.http.proxy.trusted-proxies", "127.0.0.1",
                "cais.auth.throttle.failures", String.valueOf(FAILURES),
                "cais.auth.throttle.source-failures", String.valueOf(SOURCE_FAILURES),
                "cais.auth.throttle.initial-delay", "PT2S",
                "cais.auth.throttle.max-delay", "PT4S");
    }
}
