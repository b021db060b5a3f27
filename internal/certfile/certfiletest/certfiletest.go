// Package certfiletest makes client certificates for tests: a self-signed
// RSA certificate (MSAL signs client assertions with PS256, which needs RSA)
// and the PEM and PKCS#12 files people upload.
package certfiletest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// New returns a self-signed RSA certificate valid from an hour ago for a day,
// and its key.
func New(t testing.TB, cn string) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// PEM is the certificate followed by its PKCS#8 key, as Azure Key Vault and
// openssl export them.
func PEM(t testing.TB, cert *x509.Certificate, key *rsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})...)
}

// PFX is a PKCS#12 file of the certificate and key, encrypted with password
// by enc (pkcs12.Modern2023 unless nil).
func PFX(t testing.TB, enc *pkcs12.Encoder, cert *x509.Certificate, key *rsa.PrivateKey, password string) []byte {
	t.Helper()
	if enc == nil {
		enc = pkcs12.Modern2023
	}
	data, err := enc.Encode(key, cert, nil, password)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
