package io.cais.content;

import java.util.List;

/**
 * What the registry keeps of a manifest besides its bytes: its media type, what it references (blobs for an
 * image manifest, child manifests for an index), its subject, and what the referrers API reports.
 *
 * @param artifactType the manifest's {@code artifactType}, or for an image manifest without one its config's
 *                     media type (as the referrers API requires)
 * @param annotations  the {@code annotations} object as JSON text, or null
 */
public record ParsedManifest(String mediaType, String artifactType, Digest subject, List<Descriptor> blobs,
                             List<Descriptor> children, String annotations) {
}
