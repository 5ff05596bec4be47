package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"schoolgate/internal/config"
	"schoolgate/internal/store"
)

// TestWriteLocalPolicy: a version written for a node has its lists by
// hash (a UT1 folder unpacked), the node's settings, and loads; a newer
// version replaces the policy and drops the lists no longer used.
func TestWriteLocalPolicy(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{SQLitePath: filepath.Join(t.TempDir(), "db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := writePolicy(t, "categories:\n  adult:\n    sources: [{path: ut1/adult, format: ut1}]\n  games:\n    sources: [{path: lists/games.txt, format: domains}]\nrules:\n  adult: {others: block}\n  games: {others: block}\ndefault: allow\n",
		map[string]string{"ut1/adult/domains": "adult.example\n", "ut1/adult/urls": "example.org/adult\n", "lists/games.txt": "games.example\n"})
	cfg, err := config.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	lists, blobs, err := policyLists(cfg, t.TempDir(), nil, false)
	if err != nil {
		t.Fatal(err)
	}
	content, _ := os.ReadFile(p)
	by := store.Actor{Name: "test"}
	v1, err := st.PushPolicy(ctx, by, store.PolicyVersion{Kind: store.PolicyTrust, Content: string(content), Lists: lists}, blobs)
	if err != nil {
		t.Fatal(err)
	}
	nodeFile := filepath.Join(t.TempDir(), "node.yaml")
	os.WriteFile(nodeFile, []byte("dns:\n  listen: [\"127.0.0.9:5300\"]\n"), 0o600)
	node, err := config.LoadNode(nodeFile)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path, err := writeLocalPolicy(ctx, st, dir, node, v1, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.DNS.Listen[0] != "127.0.0.9:5300" {
		t.Errorf("dns.listen = %v", got.DNS.Listen)
	}
	adult := got.Path(got.Categories[0].Value.Sources[0].Path)
	if b, err := os.ReadFile(filepath.Join(adult, "urls")); err != nil || string(b) != "example.org/adult\n" {
		t.Fatalf("unpacked UT1 folder %s: %q %v", adult, b, err)
	}
	if !strings.HasSuffix(adult, "-adult") {
		t.Errorf("local list %s does not end in its source's name", adult)
	}
	// Version 2 without the games list: its copy goes.
	v2 := v1
	v2.Content = strings.Replace(string(content), "  games:\n    sources: [{path: lists/games.txt, format: domains}]\n", "", 1)
	v2.Content = strings.Replace(v2.Content, "  games: {others: block}\n", "", 1)
	v2.Lists = lists[:1]
	if v2, err = st.PushPolicy(ctx, by, v2, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := writeLocalPolicy(ctx, st, dir, node, v2, nil); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "lists"))
	if len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), "-adult") {
		t.Errorf("lists after version 2: %v", entries)
	}
	if b, _ := os.ReadFile(path); strings.Contains(string(b), "games") {
		t.Errorf("policy not replaced:\n%s", b)
	}
}
