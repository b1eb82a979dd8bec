package io.cais.retention;

import io.cais.content.MediaTypes;
import io.cais.metadata.RetentionStore.Content;
import io.cais.metadata.RetentionStore.ManifestRow;
import io.cais.metadata.RetentionStore.Rule;
import io.cais.metadata.RetentionStore.TagRow;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The decision alone, without a database: how rules combine and what protection reaches. */
class RetentionPlanTest {

    private static final Instant NOW = Instant.parse("2026-12-03T00:00:00Z");
    private static final Duration WINDOW = Duration.ofDays(30);

    private static ManifestRow image(long id, String digest, Instant pulled) {
        return new ManifestRow(id, digest, MediaTypes.OCI_MANIFEST, null, NOW.minus(Duration.ofDays(100)), pulled);
    }

    private static TagRow tag(String name, long manifestId, int pushedDaysAgo) {
        return new TagRow(name, manifestId, NOW.minus(Duration.ofDays(pushedDaysAgo)), null);
    }

    @Test
    void aTagIsKeptWhenAnyKeepRuleOfAnyApplicableRuleKeepsIt() {
        Content content = new Content(List.of(tag("v1", 1, 9), tag("dev", 2, 8), tag("new", 3, 1)),
                List.of(image(1, "sha256:1", null), image(2, "sha256:2", null), image(3, "sha256:3", null)), Map.of());
        List<Rule> rules = List.of(new Rule(1, "*", 1, null, null, null), new Rule(2, "app", null, null, List.of("v*"), null),
                new Rule(3, "other", 0, null, null, null));

        RetentionPlan.Decision decision = RetentionPlan.decide(RetentionPlan.applicable(rules, "app"), content, NOW, WINDOW);

        assertThat(decision.tags()).extracting(RetentionPlan.TagDeletion::tag).containsExactly("dev");
        assertThat(decision.tags().getFirst().rules()).containsExactly(1, 2);
        assertThat(decision.manifests()).extracting(RetentionPlan.ManifestDeletion::digest).containsExactly("sha256:2");
    }

    @Test
    void aPulledChildProtectsItsIndexItsTagAndTheReferrersOfTheIndex() {
        ManifestRow index = new ManifestRow(1, "sha256:index", MediaTypes.OCI_INDEX, null, NOW.minus(Duration.ofDays(100)), null);
        ManifestRow child = image(2, "sha256:child", NOW.minus(Duration.ofDays(3)));
        ManifestRow signature = new ManifestRow(3, "sha256:sig", MediaTypes.OCI_MANIFEST, "sha256:index",
                NOW.minus(Duration.ofDays(100)), null);
        Content content = new Content(List.of(tag("v1", 1, 100)), List.of(index, child, signature),
                Map.of(1L, List.of("sha256:child")));

        RetentionPlan.Decision decision = RetentionPlan.decide(List.of(new Rule(1, "*", 0, null, null, 0)), content, NOW, WINDOW);

        assertThat(decision.isEmpty()).isTrue();
    }

    @Test
    void withoutKeepRulesTagsAreLeftAloneAndNoRuleMeansNothingIsDecided() {
        Content content = new Content(List.of(tag("v1", 1, 100)), List.of(image(1, "sha256:1", null)), Map.of());

        assertThat(RetentionPlan.decide(List.of(new Rule(1, "*", null, null, null, 1)), content, NOW, WINDOW).isEmpty()).isTrue();
        assertThat(RetentionPlan.decide(List.of(), content, NOW, WINDOW).isEmpty()).isTrue();
    }
}
