// Package install puts meshprobe's real manifests into a local cluster, standing in
// for cert-manager: it renders the kustomize directory (with `kubectl kustomize` when
// kubectl is installed, else a built-in reader that understands `resources`,
// `namespace` and `images`), replaces each cert-manager Certificate by the TLS Secret
// cert-manager would have written (signed by a locally generated CA), drops Issuers,
// fills the caBundle of webhook configurations annotated with
// cert-manager.io/inject-ca-from, skips kinds the cluster does not serve (e.g.
// PodMonitor without prometheus-operator), and server-side-applies the rest.
package install
