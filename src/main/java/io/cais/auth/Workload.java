package io.cais.auth;

/**
 * A workload that proved itself with a token of a trusted issuer (see {@link io.cais.auth.workload}): the issuer and
 * subject, and what Kubernetes says of it in the token's {@code kubernetes.io} claim — its namespace, service
 * account, pod and node ({@code ""} when the token does not say, as a CI system's does not). Registry tokens issued
 * to it carry this, so that each pull it makes can be recorded against it.
 */
public record Workload(String issuer, String subject, String kubernetesNamespace, String serviceAccount, String pod,
                       String node) {
}
