// Package imagebuild builds meshprobe's container images without a Docker engine
// or a registry, with go-containerregistry: each image is one layer over an empty
// base, described by an Image (files with their host source, in-image path and
// mode; user, entrypoint, cmd, env, exposed ports, labels, working directory).
//
// The images of the project's Dockerfiles are derived from them, not restated:
// ParseDockerfile reads a stage with buildkit's Dockerfile parser, and
// Stage.Image maps its COPY sources to binaries built beforehand and its
// distroless base to NonrootBase, a stand-in for what that base gives static
// binaries. WriteArchive writes images to a docker-archive that `ctr images
// import` (and `docker load`) read; Project lists the project's archives, which
// cmd/meshprobe-images writes for `make images`. Project.Push publishes the
// images users install to a registry as OCI image indexes, one image per
// platform (`make push`). README.md tells how the images differ from
// Docker-built ones.
package imagebuild
