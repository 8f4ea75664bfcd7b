// Package kubelet is meshprobe-localcluster's node agent: a small stand-in for the
// kubelet that has no container runtime. It registers a Node (and keeps its Lease and
// Ready condition fresh), and for every pod bound to that Node it
//
//   - gives the pod a network sandbox (podnet: its own netns and IP as root, a
//     127.x.y.z address otherwise) and writes resolv.conf and hosts files;
//   - materialises the pod's volumes the way the kubelet does, atomically and kept
//     current: Downward API files (labels, annotations), Secrets, ConfigMaps,
//     projected service-account tokens, emptyDir, hostPath;
//   - runs each container as a local process, mapping the image to a binary (see
//     Images), with the env (fieldRef, secretKeyRef, envFrom, $(VAR) expansion), args,
//     uid/gid, read-only root and mounts that the pod spec declares (through podexec);
//   - runs init containers, native sidecars (restartPolicy Always), restarts with
//     back-off, readiness and liveness probes (httpGet, tcpSocket);
//   - reports pod status (phase, conditions, container states, podIP) and deletes the
//     pod once its processes have stopped after a graceful deletion;
//   - serves container logs to the apiserver (`kubectl logs`) over mutual TLS.
//
// Everything it started it stops in Close.
package kubelet
