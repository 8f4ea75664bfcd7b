// Package controlplane starts and stops a real, throwaway Kubernetes control plane as
// local processes: etcd, kube-apiserver and, on request, kube-controller-manager and
// kube-scheduler. It generates the PKI (a CA, serving and client certificates and the
// service-account signing key), picks free loopback ports, writes an admin kubeconfig
// and waits for /readyz.
//
// It is the one implementation behind internal/testkit/testenv (tests) and
// internal/testkit/localcluster (meshprobe-localcluster, make demo and the e2e suite).
package controlplane
