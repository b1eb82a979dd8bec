package io.cais.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.cais.content.Reference;
import io.cais.error.ErrorCode;
import io.cais.error.RegistryException;
import io.cais.manifest.Manifests;
import io.cais.metadata.Namespace;
import io.cais.metadata.NamespaceStore;
import io.cais.metadata.TagListingStore;
import io.cais.metadata.TagListingStore.Position;
import io.cais.metadata.TagListingStore.Sort;
import io.cais.metadata.TagListingStore.TagDetails;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A repository's content for administrators: its tags with what they point at and their push and pull statistics
 * (paged, sorted server-side), one manifest's statistics, and deleting a tag. Under
 * {@code /api/v1/namespaces/{ns}/repositories/{repository}}, the repository named relative to the namespace. The
 * class shares {@link NamespaceResource}'s root path: a root of its own ending in {@code {repository: .+}} would take
 * every path under {@code repositories/} and leave nothing for the methods to match.
 */
@Path("/api/v1/namespaces")
@RunOnVirtualThread
@Produces(MediaType.APPLICATION_JSON)
public class RepositoryContentResource {

    private static final int MAX_PAGE = 1000;
    private static final int DEFAULT_PAGE = 100;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A tag as listed; {@code platforms} ({@code os/arch[/variant]}) only for an index. */
    public record TagView(String name, String digest, String mediaType, long size, List<String> platforms,
                          OffsetDateTime pushedAt, String pushedBy, OffsetDateTime lastPulledAt, long pulls) {
        static TagView of(TagDetails tag) {
            return new TagView(tag.name(), tag.digest(), tag.mediaType(), tag.size(),
                    tag.index() == null ? null : RepositoryContentResource.platforms(tag.index()), tag.pushedAt(), tag.pushedBy(), tag.lastPulledAt(),
                    tag.pulls());
        }
    }

    /** One page; {@code next} is the cursor of the next page ({@code cursor=}), null on the last. */
    public record TagPage(List<TagView> tags, String next) {
    }

    @Inject
    NamespaceStore namespaces;

    @Inject
    TagListingStore listing;

    @Inject
    Manifests manifests;

    /**
     * The tags, {@code n} (1..1000, default 100) per page, by {@code sort} ({@code name} — the default —, {@code pushed}
     * or {@code pulled}) in {@code order} ({@code asc} or {@code desc}; default asc for name, desc otherwise).
     */
    @GET
    @Authorize(Rule.NAMESPACE_READER)
    @Path("{namespace}/repositories/{repository: .+}/tags")
    public TagPage tags(@PathParam("namespace") String namespace, @PathParam("repository") String repository,
                        @QueryParam("n") Integer n, @QueryParam("sort") String sortParam, @QueryParam("order") String order,
                        @QueryParam("cursor") String cursor) {
        String name = repositoryName(namespace, repository);
        if (n != null && (n < 1 || n > MAX_PAGE)) {
            throw new RegistryException(ErrorCode.PAGINATION_NUMBER_INVALID, "n must be between 1 and " + MAX_PAGE, n);
        }
        int limit = n == null ? DEFAULT_PAGE : n;
        Sort sort = sort(sortParam);
        boolean descending = descending(order, sort);
        long repositoryId = listing.repositoryId(name).orElseThrow(() -> unknown(name));
        List<TagDetails> rows = listing.page(repositoryId, sort, descending, position(cursor, sort), limit);
        List<TagView> tags = rows.stream().limit(limit).map(TagView::of).toList();
        String next = rows.size() > limit ? cursor(sort, rows.get(limit - 1)) : null;
        return new TagPage(tags, next);
    }

    /** A manifest of the repository with its push and pull statistics and its tags. */
    @GET
    @Authorize(Rule.NAMESPACE_READER)
    @Path("{namespace}/repositories/{repository: .+}/manifests/{digest}")
    public TagListingStore.ManifestDetails manifest(@PathParam("namespace") String namespace,
                                                    @PathParam("repository") String repository,
                                                    @PathParam("digest") String digest) {
        String name = repositoryName(namespace, repository);
        return listing.manifest(name, digest).orElseThrow(() ->
                new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest unknown", digest));
    }

    /** Deletes the tag (not its manifest: the garbage collector decides about that). */
    @DELETE
    @Authorize(Rule.NAMESPACE_ADMIN)
    @Path("{namespace}/repositories/{repository: .+}/tags/{tag}")
    public Response deleteTag(@PathParam("namespace") String namespace, @PathParam("repository") String repository,
                              @PathParam("tag") String tag) {
        String name = repositoryName(namespace, repository);
        if (!(Reference.lookup(tag) instanceof Reference.Tag)) {
            throw new RegistryException(ErrorCode.TAG_INVALID, "not a tag", tag);
        }
        manifests.delete(name, Reference.lookup(tag));
        return Response.noContent().build();
    }

    /** The repository's full name: {@code <ns>/<repository>} ({@code library}'s bare names as they are). */
    private String repositoryName(String namespace, String repository) {
        namespaces.require(namespace);
        return Namespace.LIBRARY.equals(namespace) && !repository.contains("/") ? repository : namespace + "/" + repository;
    }

    private static RegistryException unknown(String repository) {
        return new RegistryException(ErrorCode.NAME_UNKNOWN, "repository '" + repository + "' does not exist", repository);
    }

    private static Sort sort(String sort) {
        try {
            return sort == null ? Sort.NAME : Sort.valueOf(sort.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "sort must be name, pushed or pulled", sort);
        }
    }

    private static boolean descending(String order, Sort sort) {
        if (order == null) {
            return sort != Sort.NAME;
        }
        return switch (order) {
            case "asc" -> false;
            case "desc" -> true;
            default -> throw new RegistryException(ErrorCode.INVALID_REQUEST, "order must be asc or desc", order);
        };
    }

    /** The cursor after a row: the sort, its key and name, opaque to clients. */
    private static String cursor(Sort sort, TagDetails last) {
        OffsetDateTime time = switch (sort) {
            case NAME -> null;
            case PUSHED -> last.pushedAt();
            case PULLED -> last.lastPulledAt();
        };
        String text = sort.name() + "\n" + (time == null ? "" : time.toString()) + "\n" + last.name();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static Position position(String cursor, Sort sort) {
        if (cursor == null) {
            return null;
        }
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8).split("\n", 3);
            if (parts.length != 3 || !parts[0].equals(sort.name())) {
                throw new IllegalArgumentException("cursor of another listing");
            }
            return new Position(parts[1].isEmpty() ? null : OffsetDateTime.parse(parts[1]), parts[2]);
        } catch (IllegalArgumentException | DateTimeParseException e) {
            throw new RegistryException(ErrorCode.INVALID_REQUEST, "cursor is not one this listing gave", Map.of("cursor", cursor));
        }
    }

    /** The platforms an index lists, as {@code os/architecture[/variant]}; empty for one it cannot read. */
    static List<String> platforms(byte[] index) {
        List<String> platforms = new ArrayList<>();
        try {
            for (JsonNode entry : JSON.readTree(index).path("manifests")) {
                JsonNode platform = entry.path("platform");
                if (platform.hasNonNull("os") && platform.hasNonNull("architecture")) {
                    platforms.add(platform.get("os").asText() + "/" + platform.get("architecture").asText()
                            + (platform.hasNonNull("variant") ? "/" + platform.get("variant").asText() : ""));
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        return platforms;
    }
}
