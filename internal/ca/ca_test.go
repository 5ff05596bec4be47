package ca

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestCreateLoadMint(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	if _, err := Load(dir, 4, nil); !errors.Is(err, ErrNoCA) {
		t.Fatalf("load before init: %v", err)
	}
	if err := Create(dir, "Test School", nil); err != nil {
		t.Fatal(err)
	}
	if err := Create(dir, "Test School", nil); !errors.Is(err, ErrExist) {
		t.Errorf("second create: %v", err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v %v", fi.Mode(), err)
	}
	a, err := Load(dir, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(a.Certificate())
	for _, host := range []string{"www.example.test", "127.0.0.1"} {
		c, err := a.Leaf(host)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: pool}); err != nil {
			t.Errorf("%s: %v", host, err)
		}
	}
	c1, _ := a.Leaf("www.example.test")
	c2, _ := a.Leaf("www.example.test")
	if c1 != c2 {
		t.Error("leaf not cached")
	}
	a.Leaf("b.test")
	a.Leaf("c.test") // evicts the least recently used
	if a.cache.len() != 2 {
		t.Errorf("cache holds %d, want 2", a.cache.len())
	}
	if _, ok := a.cache.get("127.0.0.1"); ok {
		t.Error("LRU kept the oldest entry")
	}
	os.Chmod(filepath.Join(dir, KeyFile), 0o644)
	if _, err := Load(dir, 2, nil); !errors.Is(err, ErrBadCA) {
		t.Errorf("world-readable key accepted: %v", err)
	}
}

func TestLeafRenewedBeforeExpiry(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	clock := func() time.Time { return now }
	if err := Create(dir, "", clock); err != nil {
		t.Fatal(err)
	}
	a, err := Load(dir, 8, clock)
	if err != nil {
		t.Fatal(err)
	}
	c1, _ := a.Leaf("a.test")
	now = now.Add(leafLife - time.Hour)
	c2, _ := a.Leaf("a.test")
	if c1 == c2 || !c2.Leaf.NotAfter.After(c1.Leaf.NotAfter) {
		t.Error("a leaf about to expire was not re-minted")
	}
}

func BenchmarkLeafCached(b *testing.B) {
	dir := b.TempDir()
	Create(dir, "", nil)
	a, _ := Load(dir, 8, nil)
	a.Leaf("a.test")
	for b.Loop() {
		a.Leaf("a.test")
	}
}

func BenchmarkLeafMint(b *testing.B) {
	dir := b.TempDir()
	Create(dir, "", nil)
	a, _ := Load(dir, 8, nil)
	now := time.Now()
	for b.Loop() {
		a.mint("a.test", now)
	}
}
