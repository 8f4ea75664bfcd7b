package imagebuild

import (
	"debug/elf"
	"fmt"
	"strings"
)

// Platform is an OS and architecture, named as Go names them (GOOS, GOARCH),
// which are the names OCI image configs and indexes use.
type Platform struct {
	OS, Arch string
}

// machine is the ELF machine of the Go architecture arch.
func machine(arch string) (elf.Machine, bool) {
	switch arch {
	case "amd64":
		return elf.EM_X86_64, true
	case "arm64":
		return elf.EM_AARCH64, true
	case "arm":
		return elf.EM_ARM, true
	case "ppc64le":
		return elf.EM_PPC64, true
	case "s390x":
		return elf.EM_S390, true
	case "riscv64":
		return elf.EM_RISCV, true
	}
	return elf.EM_NONE, false
}

// ParsePlatforms reads platforms separated by commas or spaces, each
// "linux/<arch>" ("linux/amd64,linux/arm64").
func ParsePlatforms(s string) ([]Platform, error) {
	var out []Platform
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		os, arch, _ := strings.Cut(f, "/")
		if os != "linux" {
			return nil, fmt.Errorf("platform %q: only linux/<arch> images are built", f)
		}
		if _, ok := machine(arch); !ok {
			return nil, fmt.Errorf("platform %q: unknown architecture %q", f, arch)
		}
		p := Platform{OS: os, Arch: arch}
		for _, seen := range out {
			if seen == p {
				return nil, fmt.Errorf("platform %s given twice", p)
			}
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no platforms in %q", s)
	}
	return out, nil
}

// String is "os/arch".
func (p Platform) String() string { return p.OS + "/" + p.Arch }

// Dir is the directory name of p's binaries: "os_arch", as `go install` names
// a cross-compiled GOBIN.
func (p Platform) Dir() string { return p.OS + "_" + p.Arch }

// checkBinary checks that file is an ELF executable of p's architecture that
// needs no dynamic loader, as the distroless static base requires.
func checkBinary(file string, p Platform) error {
	f, err := elf.Open(file)
	if err != nil {
		return fmt.Errorf("%s: not an ELF executable: %w", file, err)
	}
	defer f.Close()
	if want, _ := machine(p.Arch); f.Machine != want {
		return fmt.Errorf("%s is built for %s, not %s (%s)", file, f.Machine, p.Arch, want)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked: build it with CGO_ENABLED=0", file)
		}
	}
	return nil
}
