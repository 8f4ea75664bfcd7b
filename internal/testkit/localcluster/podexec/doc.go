// Package podexec is the small helper that starts a container process of a local pod
// (root only): the node agent runs `meshprobe-localcluster pod-exec ...` in a new mount
// and UTS namespace; the helper joins the pod's network namespace, bind-mounts the pod's
// volumes and its resolv.conf and hosts files at the paths the pod spec names, sets the
// hostname, makes the root filesystem read-only when asked, drops to the container's
// uid/gid, and execs the container's binary with the environment it was given.
package podexec
