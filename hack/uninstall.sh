#!/usr/bin/env bash
# Removes meshprobe installed with kustomize (`kubectl apply -k manifests/` or an
# overlay of it), in an order that never makes a pod creation wait on meshprobe:
#
#   1. the MutatingWebhookConfiguration: from here on the API server admits pods
#      without calling meshprobe (new pods start without the sidecar);
#   2. the control plane's Deployment, waiting for its pods to exit: the leader
#      stops its tasks (it would restore gossip-key copies deleted under it) and
#      releases the Lease;
#   3. everything the kustomization renders (kubectl delete -k): the Namespace with
#      what the leader made in it (gossip key, Lease, Events, TLS Secret), the
#      ClusterRoles and bindings, the ValidatingAdmissionPolicies and bindings;
#      kinds the cluster no longer serves (cert-manager's, once it is removed)
#      have nothing left to delete and are skipped;
#   4. the gossip-key copies in member namespaces (label meshprobe.io/gossip-key-copy);
#   5. the Events meshprobe's components recorded in other namespaces.
#
# Left on purpose: running injected pods keep their sidecar, the meshprobe.io/member
# label and meshprobe.io/injected annotation until they are replaced; namespace labels
# (meshprobe.io/inject, meshprobe.io/mesh) an admin set; the meshprobe.io/thousandeyes-sync
# annotation on ConfigMaps; tests in the ThousandEyes account. Events about injected
# pods from other components (kubelet, scheduler) expire with the API server's
# --event-ttl (1 h by default). The script prints what it left.
#
# Usage: hack/uninstall.sh [kustomize-dir]     (default: manifests)
# Env:   KUBECTL (default kubectl), MESHPROBE_NAMESPACE (default meshprobe-system),
#        TIMEOUT for each wait (default 5m). A Helm install: `helm uninstall`, then
#        steps 4 and 5 of this script are still worth running (hack/uninstall.sh is
#        safe to run on a cluster without meshprobe: every step ignores what is gone).
set -euo pipefail

dir="${1:-manifests}"
kubectl="${KUBECTL:-kubectl}"
ns="${MESHPROBE_NAMESPACE:-meshprobe-system}"
timeout="${TIMEOUT:-5m}"
part_of="app.kubernetes.io/part-of=meshprobe"
# The Event source components of meshprobe's control plane (corev1.EventSource).
components=(meshprobe-webhook meshprobe-webhook-certs meshprobe-gossip-keys meshprobe-thousandeyes
  meshprobe-member-verify meshprobe-missed-injections)

step() { echo "uninstall: $*" >&2; }

step "1/5 webhook configuration (pods are admitted without meshprobe from now on)"
$kubectl delete mutatingwebhookconfiguration -l "$part_of" --ignore-not-found --wait --timeout="$timeout"

step "2/5 control plane in $ns (the leader stops its tasks and releases the Lease)"
$kubectl -n "$ns" delete deployment -l "$part_of" --ignore-not-found --wait --timeout="$timeout"
if [ -n "$($kubectl -n "$ns" get pods -l app.kubernetes.io/name=meshprobe-webhook -o name 2>/dev/null)" ]; then
  $kubectl -n "$ns" wait --for=delete pods -l app.kubernetes.io/name=meshprobe-webhook --timeout="$timeout"
fi

step "3/5 the objects of $dir"
if ! out="$($kubectl delete -k "$dir" --ignore-not-found --wait --timeout="$timeout" 2>&1)"; then
  # An object whose kind the cluster does not serve cannot exist: not an error here.
  if grep -i -e '^error' -e '^Error from server' <<<"$out" | grep -v 'no matches for kind' >&2; then
    echo "$out" >&2
    exit 1
  fi
fi
echo "$out" | grep -v -e 'ensure CRDs are installed first' -e 'no matches for kind' || true
# kubectl's --wait does not always cover the Namespace's finalization; what the
# leader made in it (Lease, Secrets, Events) is gone only when the Namespace is.
if $kubectl get namespace "$ns" >/dev/null 2>&1; then
  $kubectl wait --for=delete "namespace/$ns" --timeout="$timeout"
fi

step "4/5 gossip-key copies in member namespaces"
$kubectl delete secret --all-namespaces -l meshprobe.io/gossip-key-copy=true --ignore-not-found --wait --timeout="$timeout"

step "5/5 Events recorded by meshprobe in other namespaces"
for c in "${components[@]}"; do
  $kubectl delete events --all-namespaces --field-selector "source=$c" --ignore-not-found
done

injected="$($kubectl get pods --all-namespaces -l meshprobe.io/member=true -o name | wc -l)"
step "done. Left: $injected running injected pod(s) keep their sidecar until replaced" \
  "(kubectl get pods -A -l meshprobe.io/member=true); namespace labels meshprobe.io/inject and" \
  "meshprobe.io/mesh; tests in the ThousandEyes account"
