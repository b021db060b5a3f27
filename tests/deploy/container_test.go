package deploy

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
)

const dockerfilePath = "deploy/container/Dockerfile"

// instruction is one Dockerfile instruction of a build stage.
type instruction struct {
	cmd, args string
}

// parseDockerfile splits a Dockerfile into stages of instructions, joining
// continuation lines.
func parseDockerfile(t *testing.T, text string) [][]instruction {
	t.Helper()
	var stages [][]instruction
	var cur strings.Builder
	flush := func() {
		line := strings.TrimSpace(cur.String())
		cur.Reset()
		if line == "" {
			return
		}
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{strings.ToUpper(cmd), strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			stages = append(stages, nil)
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Fatalf("Dockerfile: %s before FROM", in.cmd)
			}
			return
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(line)
		flush()
	}
	flush()
	return stages
}

func find(stage []instruction, cmd string) []string {
	var out []string
	for _, in := range stage {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

// TestDockerfile checks the image build against the Makefile, go.mod and the
// Kubernetes manifests: the same Go version and build flags, a distroless
// final stage without a shell or HEALTHCHECK, the non-root user the pods run
// as, the port and config path the Deployment uses, and the OCI labels.
func TestDockerfile(t *testing.T) {
	text := string(readRepoFile(t, dockerfilePath))
	stages := parseDockerfile(t, text)
	if len(stages) != 2 {
		t.Fatalf("want a build stage and a final stage, got %d stages", len(stages))
	}
	build, final := stages[0], stages[1]

	goMod := regexp.MustCompile(`(?m)^go (\S+)$`).FindStringSubmatch(string(readRepoFile(t, "go.mod")))
	if !strings.Contains(text, "ARG GO_VERSION="+goMod[1]+"\n") {
		t.Errorf("GO_VERSION is not go.mod's %s", goMod[1])
	}
	makeLdflags := regexp.MustCompile(`(?m)^LDFLAGS\s*:=\s*(.*)$`).FindStringSubmatch(string(readRepoFile(t, "Makefile")))
	if makeLdflags == nil {
		t.Fatal("Makefile has no LDFLAGS")
	}
	ldflags := strings.ReplaceAll(makeLdflags[1], "$(VERSION)", "${VERSION}")
	run := strings.Join(find(build, "RUN"), "\n")
	for _, want := range []string{"CGO_ENABLED=0", "go build -trimpath", `-ldflags "` + ldflags + `"`, "./cmd/entra-archiver"} {
		if !strings.Contains(run, want) {
			t.Errorf("build stage does not run %q (make build does)", want)
		}
	}

	if from := final[0].args; !strings.HasPrefix(from, "gcr.io/distroless/static") || !strings.HasSuffix(from, ":nonroot") {
		t.Errorf("final stage FROM %s, want distroless static :nonroot", from)
	}
	for _, in := range final {
		if slices.Contains([]string{"RUN", "SHELL", "HEALTHCHECK"}, in.cmd) {
			t.Errorf("final stage has %s: the image has no shell, and probes live in Kubernetes", in.cmd)
		}
	}
	if h := find(build, "HEALTHCHECK"); len(h) > 0 {
		t.Errorf("HEALTHCHECK in the build stage: %v", h)
	}
	labels := strings.Join(find(final, "LABEL"), " ")
	for _, key := range []string{"title", "description", "source", "documentation", "version", "revision"} {
		if !strings.Contains(labels, "org.opencontainers.image."+key+"=") {
			t.Errorf("no OCI label org.opencontainers.image.%s", key)
		}
	}

	d := only(t, "Deployment", render(t, baseDir).Deployments)
	c := archiverContainer(t, d)
	user := only(t, "USER", find(final, "USER"))
	if want := strconv.FormatInt(*d.Spec.Template.Spec.SecurityContext.RunAsUser, 10); user != want+":"+want {
		t.Errorf("USER %s, the pods run as %s (numeric, so runAsNonRoot can check it)", user, want)
	}
	port, _ := containerPort(c, intstr.FromString("http"))
	if expose := only(t, "EXPOSE", find(final, "EXPOSE")); expose != strconv.Itoa(int(port)) {
		t.Errorf("EXPOSE %s, containerPort http %d", expose, port)
	}
	var cmd []string
	if err := json.Unmarshal([]byte(only(t, "CMD", find(final, "CMD"))), &cmd); err != nil {
		t.Fatalf("CMD is not exec form: %v", err)
	}
	if !slices.Equal(cmd, c.Args) {
		t.Errorf("CMD %v, the Deployment runs %v", cmd, c.Args)
	}
	if env := only(t, "ENV", find(final, "ENV")); env != "TMPDIR=/tmp" {
		t.Errorf("ENV %s, want TMPDIR=/tmp (the emptyDir of the Deployment)", env)
	}
}

// dockerignoreMatcher implements the .dockerignore rules the build context
// relies on: the last matching pattern decides, "!" re-includes, a pattern
// matching a folder matches everything in it, and ** spans folders.
type dockerignoreMatcher []struct {
	re     *regexp.Regexp
	negate bool
}

func parseDockerignore(text string) dockerignoreMatcher {
	var m dockerignoreMatcher
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		negate := strings.HasPrefix(line, "!")
		p := path.Clean(strings.TrimPrefix(line, "!"))
		var re strings.Builder
		for i := 0; i < len(p); i++ {
			switch {
			case strings.HasPrefix(p[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(p[i:], "**"):
				re.WriteString(".*")
				i++
			case p[i] == '*':
				re.WriteString("[^/]*")
			case p[i] == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(p[i : i+1]))
			}
		}
		m = append(m, struct {
			re     *regexp.Regexp
			negate bool
		}{regexp.MustCompile("^" + re.String() + "$"), negate})
	}
	return m
}

// excluded reports whether a path relative to the context is left out.
func (m dockerignoreMatcher) excluded(rel string) bool {
	out := false
	for _, p := range m {
		for dir := rel; dir != "."; dir = path.Dir(dir) {
			if p.re.MatchString(dir) {
				out = !p.negate
				break
			}
		}
	}
	return out
}

// TestDockerignoreKeepsTheBuild checks that the build context keeps every
// file `go build ./cmd/entra-archiver` reads and leaves tests and the rest
// out.
func TestDockerignoreKeepsTheBuild(t *testing.T) {
	m := parseDockerignore(string(readRepoFile(t, dockerfilePath+".dockerignore")))
	root := repoPath(t, ".")
	cmd := exec.Command("go", "list", "-deps", "-json=Dir,GoFiles,EmbedFiles,Module", "./cmd/entra-archiver")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	needed := []string{"go.mod", "go.sum"}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			Dir                 string
			GoFiles, EmbedFiles []string
			Module              *struct{ Main bool }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if p.Module == nil || !p.Module.Main {
			continue
		}
		for _, f := range append(p.GoFiles, p.EmbedFiles...) {
			rel, err := filepath.Rel(root, filepath.Join(p.Dir, f))
			if err != nil {
				t.Fatal(err)
			}
			needed = append(needed, filepath.ToSlash(rel))
		}
	}
	if len(needed) < 20 {
		t.Fatalf("go list found only %v", needed)
	}
	for _, f := range needed {
		if m.excluded(f) {
			t.Errorf("the build needs %s, the .dockerignore leaves it out", f)
		}
	}
	for _, f := range []string{"internal/config/config_test.go", "internal/format/testdata/golden/x.jsonl", "node_modules/azurite/package.json", "deploy/container/Dockerfile", "docs/deploy.md"} {
		if !m.excluded(f) {
			t.Errorf("%s is in the build context", f)
		}
	}
}
