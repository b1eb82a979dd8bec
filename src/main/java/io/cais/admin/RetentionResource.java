package io.cais.admin;

import io.cais.auth.AccessControl;
import io.cais.auth.Authorize;
import io.cais.auth.Glob;
import io.cais.auth.Rule;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.metadata.NamespaceStore;
import io.cais.metadata.RetentionStore;
import io.cais.retention.Retention;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A namespace's retention: its rules, dry runs, runs and their records ({@code /api/v1/namespaces/{ns}/retention}),
 * for the namespace's admins (and server admins).
 */
@Path("/api/v1/namespaces/{namespace}/retention")
@RunOnVirtualThread
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
public class RetentionResource {

    private static final int MAX_RULES = 100;
    private static final int MAX_PATTERNS = 100;
    private static final int MAX_RUNS = 100;

    /**
     * A rule as the API shows and takes it: {@code repositories} (a glob relative to the namespace, default {@code *}),
     * and any of {@code keepLast}, {@code keepPulledDays}, {@code keepTags}, {@code untaggedDays}.
     */
    public record RuleView(Integer position, String repositories, Integer keepLast, Integer keepPulledDays,
                           List<String> keepTags, Integer untaggedDays) {
        static RuleView of(RetentionStore.Rule rule) {
            return new RuleView(rule.position(), rule.repositories(), rule.keepLast(), rule.keepPulledDays(),
                    rule.keepTags(), rule.untaggedDays());
        }
    }

    public record Rules(List<RuleView> rules) {
    }

    /** A run (or dry run): what it deleted; {@code bytes}: what the garbage collector frees after it. */
    public record OutcomeView(boolean dryRun, Long runId, List<RetentionStore.Deletion> tags,
                              List<RetentionStore.Deletion> manifests, long bytes) {
        static OutcomeView of(Retention.Outcome outcome) {
            return new OutcomeView(outcome.dryRun(), outcome.runId(), outcome.tags(), outcome.manifests(), outcome.bytes());
        }
    }

    /** A recorded run with what it deleted. */
    public record RunView(RetentionStore.Run run, List<RetentionStore.Deletion> deletions) {
    }

    @Inject
    NamespaceStore namespaces;

    @Inject
    RetentionStore store;

    @Inject
    Retention retention;

    @Inject
    AccessControl access;

    @GET
    @Authorize(Rule.NAMESPACE_ADMIN)
    public Rules rules(@PathParam("namespace") String namespace) {
        namespaces.require(namespace);
        return new Rules(store.rules(namespace).stream().map(RuleView::of).toList());
    }

    /** Replaces the rules (an empty list: no retention). Positions follow the list's order. */
    @PUT
    @Authorize(Rule.NAMESPACE_ADMIN)
    public Rules setRules(@PathParam("namespace") String namespace, Rules body) {
        NamespaceResource.require(body);
        namespaces.require(namespace);
        List<RuleView> views = body.rules() == null ? List.of() : body.rules();
        if (views.size() > MAX_RULES) {
            throw invalid("at most " + MAX_RULES + " rules", views.size());
        }
        List<RetentionStore.Rule> rules = new ArrayList<>();
        for (RuleView view : views) {
            rules.add(validated(rules.size() + 1, view));
        }
        store.replaceRules(namespace, rules);
        return rules(namespace);
    }

    /** Runs the rules now ({@code dryRun=true}: only answers what a run would delete). */
    @POST
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("runs")
    public Response run(@PathParam("namespace") String namespace, @QueryParam("dryRun") boolean dryRun) {
        namespaces.require(namespace);
        if (dryRun) {
            return Response.ok(OutcomeView.of(retention.dryRun(namespace))).build();
        }
        Retention.Outcome outcome = retention.run(namespace, access.user().name);
        return Response.created(URI.create("/api/v1/namespaces/" + namespace + "/retention/runs/" + outcome.runId()))
                .entity(OutcomeView.of(outcome)).build();
    }

    /** The recorded runs, newest first: {@code n} (at most 100) before the run {@code before}. */
    @GET
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("runs")
    public List<RetentionStore.Run> runs(@PathParam("namespace") String namespace, @QueryParam("n") Integer n,
                                         @QueryParam("before") Long before) {
        namespaces.require(namespace);
        if (n != null && (n < 1 || n > MAX_RUNS)) {
            throw new RegistryException(ErrorCode.PAGINATION_NUMBER_INVALID, "n must be between 1 and " + MAX_RUNS, n);
        }
        return store.runs(namespace, before, n == null ? MAX_RUNS : n);
    }

    @GET
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("runs/{id: [0-9]+}")
    public RunView runRecord(@PathParam("namespace") String namespace, @PathParam("id") long id) {
        RetentionStore.Run run = store.run(namespace, id).orElseThrow(() ->
                new RegistryException(ErrorCode.NOT_FOUND, "no such retention run in this namespace", id));
        return new RunView(run, store.deletions(id));
    }

    private static RetentionStore.Rule validated(int position, RuleView view) {
        if (view == null) {
            throw invalid("a rule must be an object", null);
        }
        String repositories = view.repositories() == null ? "*" : view.repositories();
        pattern(repositories, 255);
        nonNegative("keepLast", view.keepLast());
        nonNegative("keepPulledDays", view.keepPulledDays());
        nonNegative("untaggedDays", view.untaggedDays());
        List<String> keepTags = view.keepTags();
        if (keepTags != null) {
            if (keepTags.size() > MAX_PATTERNS) {
                throw invalid("at most " + MAX_PATTERNS + " keepTags patterns", keepTags.size());
            }
            keepTags.forEach(p -> pattern(p, 128));
        }
        if (view.keepLast() == null && view.keepPulledDays() == null && (keepTags == null || keepTags.isEmpty())
                && view.untaggedDays() == null) {
            throw invalid("a rule needs keepLast, keepPulledDays, keepTags or untaggedDays", Map.of("position", position));
        }
        return new RetentionStore.Rule(position, repositories, view.keepLast(), view.keepPulledDays(),
                keepTags == null ? null : List.copyOf(keepTags), view.untaggedDays());
    }

    private static void pattern(String pattern, int maxLength) {
        if (pattern == null || pattern.isEmpty() || pattern.length() > maxLength) {
            throw invalid("a pattern must have 1 to " + maxLength + " characters", pattern);
        }
        if (Glob.wildcards(pattern) > Glob.MAX_WILDCARDS) {
            throw invalid("a pattern may have at most " + Glob.MAX_WILDCARDS + " wildcards", pattern);
        }
    }

    private static void nonNegative(String name, Integer value) {
        if (value != null && value < 0) {
            throw invalid(name + " must be zero or more", value);
        }
    }

    private static RegistryException invalid(String message, Object detail) {
        return new RegistryException(ErrorCode.INVALID_REQUEST, message, detail);
    }
}
