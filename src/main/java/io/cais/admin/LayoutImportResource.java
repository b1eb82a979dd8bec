package io.cais.admin;

import io.cais.auth.AccessControl;
import io.cais.auth.Authorize;
import io.cais.auth.Rule;
import io.cais.content.RepositoryName;
import io.cais.proxy.LayoutImport;
import io.smallrye.common.annotation.RunOnVirtualThread;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.io.InputStream;

/**
 * Imports an OCI image layout, sent as a tar (or gzip-compressed tar) body, into a repository: a user who may push to
 * the repository (a namespace's admins and writers, server admins) may import into it, as the import is a push.
 * Only the uploaded tar: the server never reads a layout from its own file system.
 */
@Path("/api/v1/imports")
@RunOnVirtualThread
@Produces(MediaType.APPLICATION_JSON)
public class LayoutImportResource {

    @Inject
    LayoutImport imports;

    @Inject
    AccessControl access;

    @POST
    @Path("{name: .+}")
    @Authorize(Rule.REPOSITORY_PUSH)
    @Consumes(MediaType.WILDCARD)
    public LayoutImport.Report importLayout(@PathParam("name") String name, InputStream body) {
        // A user's password, as everywhere in the admin API: robots and registry tokens push through /v2.
        return imports.run(RepositoryName.require(name), body, access.user().name);
    }
}
