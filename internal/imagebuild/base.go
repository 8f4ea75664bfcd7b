package imagebuild

import (
	"io/fs"
)

// DistrolessStaticNonroot is the base image of meshprobe's Dockerfiles. It cannot
// be pulled here; NonrootBase stands in for it.
const DistrolessStaticNonroot = "gcr.io/distroless/static-debian12:nonroot"

// NonrootUID is the uid and gid of distroless's "nonroot" user.
const NonrootUID = 65532

// Base is what an image starts from: files under the image's own and the config
// defaults that the image's instructions override.
type Base struct {
	Files      []File
	User       string
	WorkingDir string
	Env        []string
}

// NonrootBase stands in for gcr.io/distroless/static-debian12:nonroot with what
// static binaries use of it: the users and groups (nonroot is 65532), name-service
// switch, /tmp, the home directories, the CA bundle (read from caBundle, the host's
// /etc/ssl/certs/ca-certificates.crt) and the base's config (user, working
// directory, PATH and SSL_CERT_FILE). It has no tzdata, no os-release and no
// package database: see README.md.
func NonrootBase(caBundle string) Base {
	return Base{
		Files: []File{
			{Path: "/etc/passwd", Content: []byte(passwd), Mode: 0o644},
			{Path: "/etc/group", Content: []byte(group), Mode: 0o644},
			{Path: "/etc/nsswitch.conf", Content: []byte(nsswitch), Mode: 0o644},
			{Path: "/etc/ssl/certs/ca-certificates.crt", Source: caBundle, Mode: 0o644},
			{Path: "/tmp", Mode: fs.ModeDir | fs.ModeSticky | 0o777},
			{Path: "/root", Mode: fs.ModeDir | 0o700},
			{Path: "/home/nonroot", Mode: fs.ModeDir | 0o700, UID: NonrootUID, GID: NonrootUID},
		},
		User:       "65532",
		WorkingDir: "/home/nonroot",
		Env: []string{
			"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt",
		},
	}
}

// The account files of distroless's static-debian12 image.
const (
	passwd = `root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
`
	group = `root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
`
	nsswitch = `passwd:         files
group:          files
shadow:         files
gshadow:        files

hosts:          files dns
networks:       files

protocols:      db files
services:       db files
ethers:         db files
rpc:            db files
`
)
