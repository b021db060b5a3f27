package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// Secrets are referenced, not held: a client secret, certificate password
// or connection string comes from an environment variable, a file, or (warned
// about) inline, and is read only when a command needs it. Messages name the
// key, variable or file, never the value.

// secretRef is a secret configured inline, by variable or by file, under the
// key name (client_secret, certificate_password, connection_string).
type secretRef struct {
	key, inline, env, file string
}

func (r secretRef) empty() bool { return r.inline == "" && r.env == "" && r.file == "" }

// lookup reads a variable from the captured environment, or the process's.
func (e *envMap) lookup(name string) (string, bool) {
	if e == nil {
		return os.LookupEnv(name)
	}
	v, ok := (*e)[name]
	return v, ok
}

// envNameRE is what a variable name looks like. A *_env value that does not
// match is probably the secret itself, pasted into the wrong key, so it is
// never echoed.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// secretError is a failure to resolve a secret, under the key that
// configures it (client_secret_env, …). It wraps ErrNoSecret.
type secretError struct {
	key, msg string
	// form: the key's value is wrong in itself (a secret pasted where a
	// variable name belongs), whatever the environment.
	form bool
}

func (e *secretError) Error() string { return ErrNoSecret.Error() + ": " + e.key + ": " + e.msg }
func (e *secretError) Unwrap() error { return ErrNoSecret }

func (e *envMap) secret(r secretRef) (string, error) {
	switch {
	case r.env != "":
		key := r.key + "_env"
		if !envNameRE.MatchString(r.env) {
			return "", &secretError{key: key, msg: "must name an environment variable (letters, digits and _), not hold the value", form: true}
		}
		v, ok := e.lookup(r.env)
		if !ok {
			return "", &secretError{key: key, msg: "environment variable " + r.env + " is not set"}
		}
		if v == "" {
			return "", &secretError{key: key, msg: "environment variable " + r.env + " is empty"}
		}
		return v, nil
	case r.file != "":
		b, err := readSmallFile(r.file)
		if err != nil {
			return "", &secretError{key: r.key + "_file", msg: fileProblem(err)}
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", &secretError{key: r.key + "_file", msg: r.file + " is empty"}
		}
		return v, nil
	case r.inline != "":
		return r.inline, nil
	}
	return "", &secretError{key: r.key, msg: fmt.Sprintf("none of %s_env, %s_file or %s is set", r.key, r.key, r.key)}
}

// maxSecretFile bounds what is read from a secret file: secrets and
// connection strings are small, and a path like /dev/zero must not hang Load.
const maxSecretFile = 1 << 20

// readSmallFile reads a regular file of at most maxSecretFile bytes. A pipe
// or device is refused: it could block, and it could not be read again when
// the secret is needed after validation.
func readSmallFile(name string) ([]byte, error) {
	if err := checkRegular(name); err != nil {
		return nil, err
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return nil, &os.PathError{Op: "read", Path: name, Err: err}
	}
	if len(b) > maxSecretFile {
		return nil, &os.PathError{Op: "read", Path: name, Err: errors.New("file too large for a secret")}
	}
	return b, nil
}

// checkRegular fails unless name is (a link to) a regular file.
func checkRegular(name string) error {
	fi, err := os.Stat(name)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &os.PathError{Op: "read", Path: name, Err: errors.New("not a regular file")}
	}
	return nil
}

// fileProblem describes a file error without the Go op prefix ("open").
func fileProblem(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Sprintf("cannot read %s: %v", pe.Path, pe.Err)
	}
	return err.Error()
}

// checkSecret checks that exactly one way of giving the secret is used (or at
// most one when the secret is optional) and that it resolves.
func (d *decoder) checkSecret(path string, r secretRef, given map[string]bool, required bool) {
	keys := []string{r.key + "_env", r.key + "_file", r.key}
	var set []string
	for _, k := range keys {
		if given[k] {
			set = append(set, k)
		}
	}
	switch {
	case len(set) == 0 && required:
		d.addf(join(path, r.key+"_env"), "required (or %s_file, or an inline %s)", r.key, r.key)
		return
	case len(set) == 0:
		return
	case len(set) > 1:
		d.addf(join(path, set[1]), "conflicts with %s (set only one of %s)", set[0], strings.Join(keys, ", "))
		return
	}
	p := join(path, set[0])
	if set[0] == r.key {
		if r.inline == "" {
			d.addf(p, "must not be empty")
			return
		}
		if !d.fromEnv(p) {
			d.warnf(p, "inline secret in the config file; prefer %s_env or %s_file", r.key, r.key)
		}
		return
	}
	if r.env == "" && r.file == "" {
		d.addf(p, "must not be empty")
		return
	}
	var se *secretError
	if _, err := d.env.secret(r); errors.As(err, &se) {
		switch {
		case !d.skipSecrets || se.form:
			d.addf(p, "%s", se.msg)
		case d.warnUnresolved:
			// The command at hand does not need it; the ones that talk
			// to Graph will refuse to start without it.
			d.warnf(p, "%s: run, once and backfill need it (status, verify and export do not)", se.msg)
		}
	}
}
