package io.cais.manifest;

import io.cais.metadata.ManifestRecord;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** A change in one repository evicts and blocks only that repository's entries, never another tenant's. */
class ManifestCacheIsolationTest {

    private ManifestCache cache;

    @BeforeEach
    void listeningCache() {
        cache = new ManifestCache(new ManifestCacheConfig() {
            public boolean enabled() {
                return true;
            }

            public long maxBytes() {
                return 1 << 20;
            }

            public Duration maxAge() {
                return Duration.ofMinutes(5);
            }
        }, new SimpleMeterRegistry());
        cache.listening();
    }

    private static ManifestCache.Key key(String repository) {
        return new ManifestCache.Key(repository, "latest");
    }

    private static ManifestRecord record(long repositoryId) {
        return new ManifestRecord(repositoryId, "sha256:" + "a".repeat(64), "application/vnd.oci.image.manifest.v1+json", 2,
                "{}".getBytes());
    }

    @Test
    void aReadRacingAChangeInAnotherRepositoryIsStillCached() {
        long stamp = cache.generation();
        for (int push = 0; push < 100; push++) {
            cache.evict("tenant-a/app");
            cache.evict(1L);
        }
        cache.put(key("tenant-b/app"), record(2), stamp);
        assertThat(cache.get(key("tenant-b/app"))).isNotNull();
    }

    @Test
    void aReadRacingAChangeInItsOwnRepositoryIsNotCached() {
        long byName = cache.generation();
        cache.evict("tenant-a/app");
        cache.put(key("tenant-a/app"), record(1), byName);
        assertThat(cache.get(key("tenant-a/app"))).isNull();

        long byId = cache.generation();
        cache.evict(1L); // a notification names the repository by id only
        cache.put(key("tenant-a/app"), record(1), byId);
        assertThat(cache.get(key("tenant-a/app"))).isNull();

        cache.put(key("tenant-a/app"), record(1), cache.generation());
        assertThat(cache.get(key("tenant-a/app"))).isNotNull();
    }

    @Test
    void evictionDropsOnlyThatRepositorysEntries() {
        cache.put(key("tenant-a/app"), record(1), cache.generation());
        cache.put(new ManifestCache.Key("tenant-a/app", "v2"), record(1), cache.generation());
        cache.put(key("tenant-b/app"), record(2), cache.generation());
        cache.evict(1L);
        assertThat(cache.get(key("tenant-a/app"))).isNull();
        assertThat(cache.get(new ManifestCache.Key("tenant-a/app", "v2"))).isNull();
        assertThat(cache.get(key("tenant-b/app"))).isNotNull();
    }

    @Test
    void losingTheListenerForgetsEverythingAndRefusesReadsThatStartedBefore() {
        long stamp = cache.generation();
        cache.put(key("tenant-b/app"), record(2), stamp);
        cache.deaf();
        cache.listening();
        assertThat(cache.get(key("tenant-b/app"))).isNull();
        cache.put(key("tenant-b/app"), record(2), stamp);
        assertThat(cache.get(key("tenant-b/app"))).isNull();
    }
}
