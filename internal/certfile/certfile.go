// Package certfile reads a client certificate with its private key for
// certificate authentication: PEM (certificates and an unencrypted private
// key) or PKCS#12 (PFX). Config validation and the credential share it, so
// a file that config check accepts is one the credential can use.
package certfile

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"software.sslmate.com/src/go-pkcs12"
)

// ErrWrongPassword: the PKCS#12 file's password is not the one given.
var ErrWrongPassword = errors.New("the certificate password is wrong")

// Load reads the file at path; password opens a PKCS#12 file. PKCS#12 is decoded here rather than by
// azidentity, whose parser knows only the legacy 3DES/RC2 encryption and
// rejects the AES files OpenSSL 3 and current tools write by default. Its
// errors name the file, never the password.
func Load(path, password string) ([]*x509.Certificate, crypto.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	if bytes.Contains(data, []byte("-----BEGIN")) {
		// The password is for PKCS#12: azidentity reads only unencrypted
		// PEM keys, and given a password it would parse PEM as PKCS#12.
		certs, key, err := azidentity.ParseCertificates(data, nil)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: cannot read a PEM certificate and unencrypted private key: %w", path, err)
		}
		return certs, key, nil
	}
	if len(data) == 0 || data[0] != 0x30 { // PKCS#12 is a DER SEQUENCE
		return nil, nil, fmt.Errorf("%s is neither PEM (-----BEGIN CERTIFICATE-----) nor PKCS#12 (PFX)", path)
	}
	key, cert, chain, err := pkcs12.DecodeChain(data, password)
	switch {
	case errors.Is(err, pkcs12.ErrIncorrectPassword):
		return nil, nil, fmt.Errorf("%s: %w", path, ErrWrongPassword)
	case err != nil:
		return nil, nil, fmt.Errorf("%s: cannot read a PKCS#12 (PFX) certificate with its private key: %w", path, err)
	}
	return append([]*x509.Certificate{cert}, chain...), key, nil
}
