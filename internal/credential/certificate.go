package credential

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/entra-archiver/entra-archiver/internal/certfile"
	"github.com/entra-archiver/entra-archiver/internal/config"
)

// loadCertificate reads certificate_file with its password.
func loadCertificate(a config.Auth) ([]*x509.Certificate, crypto.PrivateKey, error) {
	password, err := a.CertificatePasswordValue()
	if err != nil {
		return nil, nil, err
	}
	certs, key, err := certfile.Load(a.CertificateFile, password)
	switch {
	case errors.Is(err, certfile.ErrWrongPassword):
		return nil, nil, fmt.Errorf("auth.certificate_file %s: the certificate password is wrong (check certificate_password_env, certificate_password_file or certificate_password)", a.CertificateFile)
	case err != nil:
		return nil, nil, fmt.Errorf("auth.certificate_file: %w", err)
	}
	return certs, key, nil
}
