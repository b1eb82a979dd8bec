/**
 * Workload identity: pods (and CI jobs) authenticate with a token their platform signed — a Kubernetes
 * service-account token the kubelet hands a credential-provider plugin — instead of a stored pull Secret. A namespace
 * trusts an issuer by uploading its public keys (a JWKS document, so Cais needs no route to the cluster) and maps the
 * tokens' subjects to actions on its repositories with rules; {@link io.cais.auth.workload.WorkloadTokens} verifies
 * a token against every namespace's trust in its issuer, and {@link io.cais.auth.workload.PullAudit} records which
 * workload was served which manifest.
 */
package io.cais.auth.workload;
