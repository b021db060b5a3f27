package config

import (
	"path/filepath"
	"strings"
)

// credentialsDirectory is the variable systemd sets for a unit with
// LoadCredential=: the private directory holding the unit's credentials
// (/run/credentials/<unit>/), readable by the service only and never part
// of its environment.
const credentialsDirectory = "CREDENTIALS_DIRECTORY"

// credentialPath resolves a *_file value that begins with
// $CREDENTIALS_DIRECTORY or ${CREDENTIALS_DIRECTORY} against that variable
// of the Load environment, so one configuration serves every unit that
// loads the credential (each unit has its own directory). Any other value
// is a path as given.
func (d *decoder) credentialPath(path, s string) string {
	for _, ref := range []string{"${" + credentialsDirectory + "}", "$" + credentialsDirectory} {
		rest, ok := strings.CutPrefix(s, ref)
		if !ok {
			continue
		}
		dir := d.env[credentialsDirectory]
		if dir == "" {
			d.addf(path, "%s is not set: systemd sets it for a unit with LoadCredential= (deploy/systemd); "+
				"outside the unit, check the configuration with systemd-run -P -p LoadCredential=… entra-archiver config check, "+
				"or give the file's own path", credentialsDirectory)
			return s
		}
		return filepath.Join(dir, rest)
	}
	return s
}
