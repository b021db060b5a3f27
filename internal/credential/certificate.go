package credential

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/entra-archiver/entra-archiver/internal/config"
)

// loadCertificate reads certificate_file: PEM (certificates and an
// unencrypted private key) or PKCS#12. PKCS#12 is decoded here rather than
// by azidentity, whose parser knows only the legacy 3DES/RC2 encryption and
// rejects the AES files OpenSSL 3 and current tools write by default.
func loadCertificate(a config.Auth) ([]*x509.Certificate, crypto.PrivateKey, error) {
	data, err := os.ReadFile(a.CertificateFile)
	if err != nil {
		return nil, nil, fmt.Errorf("auth.certificate_file: %w", err)
	}
	password, err := a.CertificatePasswordValue()
	if err != nil {
		return nil, nil, err
	}
	if bytes.Contains(data, []byte("-----BEGIN")) {
		var pw []byte
		if password != "" {
			pw = []byte(password)
		}
		certs, key, err := azidentity.ParseCertificates(data, pw)
		if err != nil {
			return nil, nil, fmt.Errorf("auth.certificate_file %s: cannot read a PEM certificate and unencrypted private key: %v", a.CertificateFile, err)
		}
		return certs, key, nil
	}
	key, cert, chain, err := pkcs12.DecodeChain(data, password)
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return nil, nil, fmt.Errorf("auth.certificate_file %s: the certificate password is wrong (check certificate_password_env, certificate_password_file or certificate_password)", a.CertificateFile)
	case err != nil:
		return nil, nil, fmt.Errorf("auth.certificate_file %s: cannot read a PKCS#12 (PFX) certificate with its private key: %v", a.CertificateFile, err)
	}
	return append([]*x509.Certificate{cert}, chain...), key, nil
}
