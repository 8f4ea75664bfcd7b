// Package testenv gives tests a real, throwaway Kubernetes control plane: etcd and
// kube-apiserver (RBAC authorization, default admission plugins plus the webhook
// ones, real TLS), and on request kube-controller-manager and kube-scheduler.
//
//	env := testenv.Start(t)                           // apiserver + etcd
//	env := testenv.Start(t, testenv.WithControllerManager(), testenv.WithScheduler())
//	env.Client.CoreV1().Namespaces().Create(...)       // admin client
//	cfg := env.ConfigFor(t, "alice", "dev-team")       // impersonating, for RBAC tests
//
// The binaries come from $KUBEBUILDER_ASSETS (`export KUBEBUILDER_ASSETS=$(hack/k8s-binaries.sh)`).
// When it is unset the test is skipped with a message saying so, except under CI=true,
// where it fails. Everything started is stopped by t.Cleanup, and the temporary
// directory is removed; when the test failed the last lines of each component's log
// are printed first.
package testenv
