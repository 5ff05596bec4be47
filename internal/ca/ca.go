// Package ca is the school's own certificate authority for TLS inspection:
// created once (`schoolgate ca init`), kept in the data directory (the key
// readable by its owner only), exported for the school's devices to trust
// (`schoolgate ca export`), and used to mint short-lived leaf certificates
// per host, cached in a small LRU.
package ca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Sentinel errors.
var (
	ErrNoCA  = errors.New("no school CA: run `schoolgate ca init`")
	ErrExist = errors.New("a school CA already exists")
	ErrBadCA = errors.New("school CA files are unreadable")
)

// File names inside the CA directory.
const (
	CertFile = "ca.crt"
	KeyFile  = "ca.key"
)

// Dir is where the CA lives inside a data directory.
func Dir(dataDir string) string { return filepath.Join(dataDir, "ca") }

// Authority signs leaf certificates with the school CA.
type Authority struct {
	cert    *x509.Certificate
	certDER []byte
	key     *ecdsa.PrivateKey
	leafKey *ecdsa.PrivateKey
	now     func() time.Time

	mu    sync.Mutex
	cache *lru
}

// Create makes a new CA in dir. It refuses to replace an existing one.
func Create(dir, name string, now func() time.Time) error {
	if now == nil {
		now = time.Now
	}
	if _, err := os.Stat(filepath.Join(dir, KeyFile)); err == nil {
		return fmt.Errorf("%w in %s", ErrExist, dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	if name == "" {
		name = "School"
	}
	t := now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: name + " Schoolgate CA", Organization: []string{name}},
		NotBefore:             t.Add(-time.Hour),
		NotAfter:              t.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	if err := writeFile(filepath.Join(dir, KeyFile), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, CertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writeFile(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, mode); err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	if err := os.Chmod(tmp, mode); err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("ca: %w", err)
	}
	return nil
}

// ExportPEM returns the CA certificate (never the key) in PEM.
func ExportPEM(dir string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(dir, CertFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoCA
	}
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	return b, nil
}

// Load opens the CA in dir. cacheSize bounds the leaf-certificate cache.
func Load(dir string, cacheSize int, now func() time.Time) (*Authority, error) {
	if now == nil {
		now = time.Now
	}
	cb, err := os.ReadFile(filepath.Join(dir, CertFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoCA
	}
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	kb, err := os.ReadFile(filepath.Join(dir, KeyFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoCA
	}
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, KeyFile)); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s is readable by others (chmod 600 it)", ErrBadCA, filepath.Join(dir, KeyFile))
	}
	cp, _ := pem.Decode(cb)
	kp, _ := pem.Decode(kb)
	if cp == nil || kp == nil {
		return nil, fmt.Errorf("%w: not PEM", ErrBadCA)
	}
	cert, err := x509.ParseCertificate(cp.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCA, err)
	}
	k, err := x509.ParsePKCS8PrivateKey(kp.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadCA, err)
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: the key is not ECDSA", ErrBadCA)
	}
	// One key for every leaf: minting is then a signature, not a key
	// generation, and the key never leaves memory.
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ca: %w", err)
	}
	if cacheSize <= 0 {
		cacheSize = 1024
	}
	return &Authority{cert: cert, certDER: cp.Bytes, key: key, leafKey: leafKey, now: now, cache: newLRU(cacheSize)}, nil
}

// LoadOrCreate opens the CA in dir, creating it first when there is none
// ("generated on first use").
func LoadOrCreate(dir, name string, cacheSize int, now func() time.Time) (*Authority, error) {
	a, err := Load(dir, cacheSize, now)
	if errors.Is(err, ErrNoCA) {
		if err := Create(dir, name, now); err != nil {
			return nil, err
		}
		return Load(dir, cacheSize, now)
	}
	return a, err
}

// Certificate returns the CA certificate.
func (a *Authority) Certificate() *x509.Certificate { return a.cert }

// leafLife is how long a minted certificate is valid; cached ones are
// re-minted a day before they expire.
const leafLife = 7 * 24 * time.Hour

// Leaf returns a certificate for host (a name or an IP literal), minted
// on first use and cached.
func (a *Authority) Leaf(host string) (*tls.Certificate, error) {
	now := a.now()
	a.mu.Lock()
	if c, ok := a.cache.get(host); ok && now.Add(24*time.Hour).Before(c.Leaf.NotAfter) {
		a.mu.Unlock()
		return c, nil
	}
	a.mu.Unlock()
	c, err := a.mint(host, now)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.cache.put(host, c)
	a.mu.Unlock()
	return c, nil
}

func (a *Authority) mint(host string, now time.Time) (*tls.Certificate, error) {
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: host},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(leafLife),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if tmpl.NotAfter.After(a.cert.NotAfter) {
		tmpl.NotAfter = a.cert.NotAfter
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip.AsSlice())
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &a.leafKey.PublicKey, a.key)
	if err != nil {
		return nil, fmt.Errorf("ca: mint %s: %w", host, err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ca: mint %s: %w", host, err)
	}
	return &tls.Certificate{Certificate: [][]byte{der, a.certDER}, PrivateKey: a.leafKey, Leaf: leaf}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	return n.Add(n, big.NewInt(1))
}
