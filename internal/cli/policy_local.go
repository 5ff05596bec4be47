package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"schoolgate/internal/config"
	"schoolgate/internal/store"
)

// Names under a local policy copy's folder (DATA/node on a node).
const (
	localPolicy = "policy.yaml" // the file the engine loads
	localTrust  = "trust.yaml"  // the trust's, which a school's extends
)

// writeLocalPolicy writes the policy a site runs under dir: the lists of
// both versions first (by hash), then the trust's file and, when the
// school has its own, the school's extending it, each rewritten for this
// node (node settings, local lists) and renamed into place, policy.yaml
// last. school may be nil. It returns policy.yaml's path.
func writeLocalPolicy(ctx context.Context, st *store.Store, dir string, node *config.Node, trust store.PolicyVersion, school *store.PolicyVersion) (string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	lists := trust.Lists
	if school != nil {
		lists = append(append([]store.PolicyList(nil), lists...), school.Lists...)
	}
	local, err := writeLists(ctx, st, dir, lists)
	if err != nil {
		return "", err
	}
	rw := config.NodeRewrite{Lists: local, CacheDir: filepath.Join(dir, "cache")}
	trustFile, err := node.ApplyNode([]byte(trust.Content), rw)
	if err != nil {
		return "", fmt.Errorf("trust policy version %d: %w", trust.ID, err)
	}
	main := trustFile
	if school != nil {
		if err := writeAtomic(filepath.Join(dir, localTrust), trustFile); err != nil {
			return "", err
		}
		rw.Extends = localTrust
		if main, err = node.ApplyNode([]byte(school.Content), rw); err != nil {
			return "", fmt.Errorf("%s's policy version %d: %w", school.Site, school.ID, err)
		}
	}
	path := filepath.Join(dir, localPolicy)
	if err := writeAtomic(path, main); err != nil {
		return "", err
	}
	pruneLists(dir, lists)
	return path, nil
}

// pruneLists removes the lists under dir/lists that the versions written
// no longer use (the engine holds what it loaded in memory).
func pruneLists(dir string, keep []store.PolicyList) {
	used := map[string]bool{}
	for _, l := range keep {
		used[localListName(l)] = true
	}
	entries, err := os.ReadDir(filepath.Join(dir, "lists"))
	if err != nil {
		return
	}
	for _, e := range entries {
		if !used[e.Name()] {
			os.RemoveAll(filepath.Join(dir, "lists", e.Name()))
		}
	}
}

// writeAtomic writes data to a temporary file beside path, syncs it and
// renames it into place: a reader sees the old file or the new, never half.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o640); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
