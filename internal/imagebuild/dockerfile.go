package imagebuild

import (
	"fmt"
	"io"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Stage is what a Dockerfile stage puts in its image, with the stages it is built
// FROM merged in, as a builder would: the external image it starts from, its
// copies and the config its instructions set.
type Stage struct {
	// Name is the stage's name ("AS name"), lower-cased as buildkit does.
	Name string
	// Base is the external image that the stage, or its first ancestor stage, is FROM.
	Base string
	// Copies are the stage's COPY instructions in order, ancestors' first.
	Copies []Copy
	// User, Entrypoint, Cmd and WorkingDir are the config the stage sets (empty
	// when unset).
	User       string
	Entrypoint []string
	Cmd        []string
	WorkingDir string
	// Env holds the ENV entries as "KEY=value", each key once, in first-set order.
	Env []string
	// ExposedPorts holds the EXPOSE entries as "port/proto", each once.
	ExposedPorts []string
	// Labels are the LABEL entries.
	Labels map[string]string
}

// Copy is one COPY instruction.
type Copy struct {
	// From is the stage or image of --from; empty for the build context.
	From    string
	Sources []string
	Dest    string
	// Chmod and Chown are the --chmod and --chown values, as written.
	Chmod string
	Chown string
}

// ParseDockerfile reads a Dockerfile with buildkit's parser and returns its stage
// target (the last stage when target is empty) merged with the stages it is FROM.
// buildArgs give values to ARGs. A stage in that chain may only use the
// instructions a builder does not have to run: FROM, ARG, ENV, LABEL, COPY, USER,
// WORKDIR, EXPOSE, and exec-form ENTRYPOINT and CMD; anything else is an error.
func ParseDockerfile(r io.Reader, target string, buildArgs map[string]string) (Stage, error) {
	res, err := parser.Parse(r)
	if err != nil {
		return Stage{}, fmt.Errorf("parsing the Dockerfile: %w", err)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, linter.New(&linter.Config{}))
	if err != nil {
		return Stage{}, fmt.Errorf("parsing the Dockerfile's instructions: %w", err)
	}
	p := stageParser{lex: shell.NewLex(res.EscapeToken), buildArgs: buildArgs}
	meta := env{}
	for _, a := range metaArgs {
		p.declare(meta, a.Args)
	}
	chain, base, err := p.chain(stages, target, meta)
	if err != nil {
		return Stage{}, err
	}
	out := Stage{Name: stages[chain[len(chain)-1]].Name, Base: base}
	for _, i := range chain {
		if err := p.apply(&out, stages[i]); err != nil {
			return Stage{}, fmt.Errorf("%s: %w", Stage{Name: stages[i].Name}.label(), err)
		}
	}
	return out, nil
}

// stageParser applies a Dockerfile's instructions to a Stage.
type stageParser struct {
	lex       *shell.Lex
	buildArgs map[string]string
}

// chain returns the indexes of the target stage and the stages it is FROM, the
// first ancestor first, and the external base of the first.
func (p stageParser) chain(stages []instructions.Stage, target string, meta env) ([]int, string, error) {
	if len(stages) == 0 {
		return nil, "", fmt.Errorf("the Dockerfile has no stage")
	}
	i := len(stages) - 1
	if target != "" {
		if i = stageIndex(stages, target, len(stages)); i < 0 {
			return nil, "", fmt.Errorf("the Dockerfile has no stage %q", target)
		}
	}
	chain := []int{i}
	for {
		base, _, err := p.lex.ProcessWord(stages[i].BaseName, meta)
		if err != nil {
			return nil, "", fmt.Errorf("expanding FROM %s: %w", stages[i].BaseName, err)
		}
		j := stageIndex(stages, base, i)
		if j < 0 {
			return chain, base, nil
		}
		chain = slices.Insert(chain, 0, j)
		i = j
	}
}

// stageIndex is the index of the stage named name among the first n, or -1.
func stageIndex(stages []instructions.Stage, name string, n int) int {
	for i := range n {
		if stages[i].Name != "" && stages[i].Name == strings.ToLower(name) {
			return i
		}
	}
	return -1
}

// apply adds the instructions of st to out.
func (p stageParser) apply(out *Stage, st instructions.Stage) error {
	vars := env{}
	for _, kv := range out.Env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	cmdSet := false
	for _, c := range st.Commands {
		if e, ok := c.(instructions.SupportsSingleWordExpansion); ok {
			if err := e.Expand(p.expander(vars)); err != nil {
				return fmt.Errorf("line %d: expanding %s: %w", line(c), c.Name(), err)
			}
		}
		if err := p.instruction(out, c, vars, &cmdSet); err != nil {
			return fmt.Errorf("line %d: %w", line(c), err)
		}
	}
	return nil
}

// instruction applies one instruction to out; vars are the stage's variables
// and cmdSet tells whether the stage set CMD so far.
func (p stageParser) instruction(out *Stage, c instructions.Command, vars env, cmdSet *bool) error {
	switch c := c.(type) {
	case *instructions.ArgCommand:
		p.declare(vars, c.Args)
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			out.Env = setEnv(out.Env, kv.Key, kv.Value)
			vars[kv.Key] = kv.Value
		}
	case *instructions.LabelCommand:
		if out.Labels == nil {
			out.Labels = map[string]string{}
		}
		for _, kv := range c.Labels {
			out.Labels[kv.Key] = kv.Value
		}
	case *instructions.CopyCommand:
		out.Copies = append(out.Copies, Copy{From: c.From, Sources: c.SourcePaths, Dest: c.DestPath, Chmod: c.Chmod, Chown: c.Chown})
	case *instructions.UserCommand:
		out.User = c.User
	case *instructions.WorkdirCommand:
		out.WorkingDir = path.Join("/", out.WorkingDir, c.Path)
	case *instructions.ExposeCommand:
		return p.expose(out, c.Ports, vars)
	case *instructions.EntrypointCommand:
		if c.PrependShell {
			return fmt.Errorf("ENTRYPOINT in shell form needs a shell the image does not have; use the exec form")
		}
		out.Entrypoint = slices.Clone(c.CmdLine)
		if !*cmdSet {
			out.Cmd = nil // as a builder does: ENTRYPOINT resets an inherited CMD
		}
	case *instructions.CmdCommand:
		if c.PrependShell {
			return fmt.Errorf("CMD in shell form needs a shell the image does not have; use the exec form")
		}
		out.Cmd = slices.Clone(c.CmdLine)
		*cmdSet = true
	default:
		return fmt.Errorf("%s is not supported: it needs a builder", strings.ToUpper(c.Name()))
	}
	return nil
}

// expose adds EXPOSE ports to out as "port/proto".
func (p stageParser) expose(out *Stage, ports []string, vars env) error {
	for _, raw := range ports {
		port, _, err := p.lex.ProcessWord(raw, vars)
		if err != nil {
			return fmt.Errorf("expanding EXPOSE %s: %w", raw, err)
		}
		if !strings.Contains(port, "/") {
			port += "/tcp"
		}
		port = strings.ToLower(port)
		if !slices.Contains(out.ExposedPorts, port) {
			out.ExposedPorts = append(out.ExposedPorts, port)
		}
	}
	return nil
}

// declare makes ARGs visible in vars: a build argument's value, else the default.
func (p stageParser) declare(vars env, args []instructions.KeyValuePairOptional) {
	for _, a := range args {
		if v, ok := p.buildArgs[a.Key]; ok {
			vars[a.Key] = v
		} else if a.Value != nil {
			vars[a.Key] = *a.Value
		} else {
			vars[a.Key] = ""
		}
	}
}

// expander expands ${VAR} words with vars, as a builder does.
func (p stageParser) expander(vars env) instructions.SingleWordExpander {
	return func(word string) (string, error) {
		out, _, err := p.lex.ProcessWord(word, vars)
		return out, err
	}
}

// setEnv sets key in a "KEY=value" list, keeping the position of an earlier entry.
func setEnv(list []string, key, value string) []string {
	for i, kv := range list {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			list[i] = key + "=" + value
			return list
		}
	}
	return append(list, key+"="+value)
}

// line is the Dockerfile line of c, or 0.
func line(c instructions.Command) int {
	if l, ok := c.(interface{ Location() []parser.Range }); ok && len(l.Location()) > 0 {
		return l.Location()[0].Start.Line
	}
	return 0
}

// env is a variable set for buildkit's shell lexer.
type env map[string]string

// Get returns the value of key.
func (e env) Get(key string) (string, bool) { v, ok := e[key]; return v, ok }

// Keys returns the variable names.
func (e env) Keys() []string { return slices.Sorted(maps.Keys(e)) }
