package io.cais.admin;

import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.cais.content.Digest;
import io.cais.metadata.WorkloadPullStore;
import io.cais.metadata.WorkloadPullStore.Sighting;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.List;

/**
 * Which workloads a namespace served a manifest digest to (workload identity's audit): cluster (issuer), Kubernetes
 * namespace, service account, pod and node, how often and when first and last. Recorded in batches, so a pull shows
 * here within {@code cais.workload-identity.audit-flush-interval}.
 */
@Path("/api/v1/namespaces/{namespace}/digests/{digest}/consumers")
@RunOnVirtualThread
@Produces(MediaType.APPLICATION_JSON)
public class WorkloadConsumerResource {

    @Inject
    WorkloadPullStore pulls;

    @GET
    @Authorize(Rule.NAMESPACE_ADMIN)
    public List<Sighting> consumers(@PathParam("namespace") String namespace, @PathParam("digest") String digest) {
        return pulls.consumers(namespace, Digest.parse(digest).toString());
    }
}
