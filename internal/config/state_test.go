package config

import (
	"reflect"
	"strings"
	"testing"
)

// Connection strings for the state container tests. containerSASConn is a
// service SAS for one container (sr=c); accountSASConn an account SAS.
const (
	keyConn          = "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net"
	containerSASConn = "BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=sv=2026-06-06&sr=c&sp=rcl&se=2027-01-01T00%3A00%3A00Z&sig=c2ln"
	accountSASConn   = "BlobEndpoint=https://acct.blob.core.windows.net;SharedAccessSignature=sv=2026-06-06&ss=b&srt=co&sp=rwlc&se=2027-01-01T00%3A00%3A00Z&sig=c2ln"
)

// TestStateContainer: state.container keeps state and leases in a second
// container of the archive's account, or of its own connection string;
// config check names it and Redacted shows it without the secret.
func TestStateContainer(t *testing.T) {
	c := mustLoad(t, `
storage: {azblob: {account_url: https://acct.blob.core.windows.net, container: entra-logs}}
state: {type: storage, container: entra-state}
tenants:`+tenantYAML)
	if c.State.Container != "entra-state" || c.State.Describe() != "storage in container entra-state" {
		t.Errorf("state = %v, described %q", c.State, c.State.Describe())
	}
	if cs, err := c.State.ResolveConnectionString(); cs != "" || err != nil {
		t.Errorf("ResolveConnectionString = %q, %v; want none: the archive's credential", cs, err)
	}
	if !strings.Contains(c.Redacted(), "state:\n  type: \"storage\"\n  container: \"entra-state\"\n") {
		t.Errorf("Redacted does not show the state container:\n%s", c.Redacted())
	}

	// A create-only SAS for the archive container, and the state
	// container's own connection string.
	c = mustLoad(t, `
storage: {azblob: {connection_string_env: ARCHIVE_CONN}}
state: {container: entra-state, connection_string_env: STATE_CONN}
tenants:`+tenantYAML, "ARCHIVE_CONN="+containerSASConn, "STATE_CONN="+keyConn)
	if cs, err := c.State.ResolveConnectionString(); cs != keyConn || err != nil {
		t.Errorf("ResolveConnectionString = %q, %v; want STATE_CONN's value", cs, err)
	}
	if r := c.Redacted(); !strings.Contains(r, `connection_string_env: "STATE_CONN"`) || strings.Contains(r, "a2V5") {
		t.Errorf("Redacted should name the variable and not quote the key:\n%s", r)
	}
	if s := c.State.String(); strings.Contains(s, "a2V5") {
		t.Errorf("String quotes the key: %s", s)
	}

	// An account SAS reaches both containers.
	mustLoad(t, `
storage: {azblob: {connection_string_env: ARCHIVE_CONN}}
state: {container: entra-state}
tenants:`+tenantYAML, "ARCHIVE_CONN="+accountSASConn)

	// Without a container the state stays beside the archive.
	c = mustLoad(t, header+tenantYAML)
	if c.State.Describe() != "storage" {
		t.Errorf("default state described %q, want storage", c.State.Describe())
	}
}

func TestStateContainerInvalid(t *testing.T) {
	azblob := "storage: {azblob: {account_url: https://acct.blob.core.windows.net}}\n"
	tests := []struct {
		name string
		yaml string
		env  []string
		want []Problem
	}{
		{
			name: "with state type file",
			yaml: azblob + "state: {type: file, path: /var/lib/x, container: entra-state}\ntenants:" + tenantYAML,
			want: []Problem{{"state.container", "only used with state type storage"}},
		},
		{
			name: "with a local archive",
			yaml: "state: {container: entra-state}\n" + header + tenantYAML,
			want: []Problem{{"state.container", "only used with storage type azblob (a local archive keeps its state in its folder; state type file puts it elsewhere)"}},
		},
		{
			name: "not a container name",
			yaml: azblob + "state: {container: Entra_State}\ntenants:" + tenantYAML,
			want: []Problem{{"state.container", `"Entra_State" is not a valid container name (3 to 63 characters of a-z, 0-9 and single hyphens)`}},
		},
		{
			name: "the archive container",
			yaml: azblob + "state: {container: entra-logs}\ntenants:" + tenantYAML,
			want: []Problem{{"state.container", "is the archive container (storage.azblob.container): name a second container, or leave state.container out to keep the state beside the archive"}},
		},
		{
			name: "connection string without container",
			yaml: azblob + "state: {connection_string_env: STATE_CONN}\ntenants:" + tenantYAML,
			env:  []string{"STATE_CONN=" + keyConn},
			want: []Problem{{"state.connection_string_env", "only used with state.container"}},
		},
		{
			name: "connection string not set",
			yaml: azblob + "state: {container: entra-state, connection_string_env: STATE_CONN}\ntenants:" + tenantYAML,
			want: []Problem{{"state.connection_string_env", "environment variable STATE_CONN is not set"}},
		},
		{
			name: "two connection strings",
			yaml: azblob + "state: {container: entra-state, connection_string_env: STATE_CONN, connection_string_file: /run/conn}\ntenants:" + tenantYAML,
			env:  []string{"STATE_CONN=" + keyConn},
			want: []Problem{{"state.connection_string_file", "conflicts with connection_string_env (set only one of connection_string_env, connection_string_file, connection_string)"}},
		},
		{
			name: "malformed connection string",
			yaml: azblob + "state: {container: entra-state, connection_string_env: STATE_CONN}\ntenants:" + tenantYAML,
			env:  []string{"STATE_CONN=AccountName=acct"},
			want: []Problem{{"state.connection_string_env", "the connection string needs AccountKey (with AccountName) or SharedAccessSignature"}},
		},
		{
			name: "the archive's SAS is for its container alone",
			yaml: "storage: {azblob: {connection_string_env: ARCHIVE_CONN}}\nstate: {container: entra-state}\ntenants:" + tenantYAML,
			env:  []string{"ARCHIVE_CONN=" + containerSASConn},
			want: []Problem{{"state.container", "storage.azblob's connection string holds a SAS for container entra-logs alone, which cannot reach this one: give the state container its own with state.connection_string_env or state.connection_string_file"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := load(t, tt.yaml, tt.env...)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if got := problemsOf(t, err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", (&Errors{got}).Error(), (&Errors{tt.want}).Error())
			}
		})
	}
}
