package deploy

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

const bicepPath = "deploy/azure/main.bicep"

// TestBicepConsistent makes up for the missing Bicep compiler with the checks
// a reader would do: every name is declared once, every parameter is
// used, every resource type and API version is one docs/deploy.md says was
// reviewed against the Azure resource reference, and the security settings
// the docs promise are in place.
func TestBicepConsistent(t *testing.T) {
	bicep := string(readRepoFile(t, bicepPath))
	docs := string(readRepoFile(t, "docs/deploy.md"))
	decl := regexp.MustCompile(`(?m)^(param|var|resource|output) (\w+) `)
	declared := map[string]string{}
	var params []string
	for _, m := range decl.FindAllStringSubmatch(bicep, -1) {
		kind, name := m[1], m[2]
		if prev, ok := declared[name]; ok {
			t.Errorf("%s %s: the name is already a %s", kind, name, prev)
		}
		declared[name] = kind
		if kind == "param" {
			params = append(params, name)
		}
	}
	if len(params) < 10 {
		t.Fatalf("found only %d params: %v", len(params), params)
	}
	for _, p := range params {
		uses := regexp.MustCompile(`\b`+p+`\b`).FindAllStringIndex(bicep, -1)
		if len(uses) < 2 {
			t.Errorf("param %s is never used", p)
		}
		if !strings.Contains(docs, "`"+p+"`") {
			t.Errorf("docs/deploy.md does not describe param %s", p)
		}
	}
	types := regexp.MustCompile(`(?m)^resource \w+ '([^']+)'`).FindAllStringSubmatch(bicep, -1)
	if len(types) < 8 {
		t.Fatalf("found only %d resources", len(types))
	}
	for _, m := range types {
		if !strings.Contains(docs, "`"+m[1]+"`") {
			t.Errorf("docs/deploy.md does not list %s among the reviewed resource types", m[1])
		}
	}
	for _, want := range []string{
		"minimumTlsVersion: 'TLS1_2'",
		"supportsHttpsTrafficOnly: true",
		"allowBlobPublicAccess: false",
		"allowSharedKeyAccess: allowSharedKeyAccess",
		"publicAccess: 'None'",
		"param allowSharedKeyAccess bool = false",
		// Storage Blob Data Contributor, scoped to the container.
		"var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'",
		"scope: container",
		"audiences: [\n      'api://AzureADTokenExchange'",
	} {
		if !strings.Contains(bicep, want) {
			t.Errorf("main.bicep lacks %q", want)
		}
	}
}

// TestAppRegistrationScript checks the shell syntax of the app registration
// script and that it asks for exactly the permissions the docs name.
func TestAppRegistrationScript(t *testing.T) {
	const script = "deploy/azure/app-registration.sh"
	if out, err := exec.Command("bash", "-n", repoPath(t, script)).CombinedOutput(); err != nil {
		t.Fatalf("bash -n %s: %v\n%s", script, err, out)
	}
	text := string(readRepoFile(t, script))
	if !strings.Contains(text, "permissions=(AuditLog.Read.All Directory.Read.All)\n") {
		t.Error("the script does not request AuditLog.Read.All and Directory.Read.All")
	}
	if strings.Contains(text, "echo \"$secret") || strings.Contains(text, "password -o tsv)") {
		t.Error("the script may print the client secret")
	}
}
