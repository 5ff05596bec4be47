package cli

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"schoolgate/internal/config"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// maxListBytes bounds one list's content (a UT1 category folder, a
// downloaded list) read into a version.
const maxListBytes = 512 << 20

// policyLists collects the content of every list the policy reads: each
// path: source (a UT1 folder as a tar of its files), and each url: source
// from the previous version's stored copy or, failing that (or when
// fresh: just downloaded by lists update), this machine's download cache.
// A url: source with neither is left out (a node loads it empty and says
// so, as serve does before a download).
func policyLists(c *config.Config, cacheDir string, prev []store.PolicyList, fresh bool) ([]store.PolicyList, map[string][]byte, error) {
	stored := map[string]store.PolicyList{}
	for _, l := range prev {
		stored[l.Source] = l
	}
	var out []store.PolicyList
	blobs := map[string][]byte{}
	seen := map[string]bool{}
	add := func(field string, src config.Source) error {
		key := src.Path
		if key == "" {
			key = src.URL
		}
		if seen[key] {
			return nil
		}
		seen[key] = true
		if src.URL != "" {
			if l, ok := stored[src.URL]; ok && !fresh {
				out = append(out, l)
				return nil
			}
			data, err := os.ReadFile(policy.CachePath(cacheDir, src.URL))
			switch {
			case err == nil:
			case errors.Is(err, fs.ErrNotExist):
				if l, ok := stored[src.URL]; ok {
					out = append(out, l)
				}
				return nil
			default:
				return fmt.Errorf("%s: %s: %w", field, src.URL, err)
			}
			h := store.BlobHash(data)
			blobs[h] = data
			out = append(out, store.PolicyList{Source: src.URL, Hash: h})
			return nil
		}
		data, archive, err := readList(c.Path(src.Path))
		if err != nil {
			return &config.Error{File: c.File, Line: src.Line, Field: field, Msg: err.Error()}
		}
		h := store.BlobHash(data)
		blobs[h] = data
		out = append(out, store.PolicyList{Source: src.Path, Hash: h, Archive: archive})
		return nil
	}
	for _, e := range c.Categories {
		for j, src := range e.Value.Sources {
			if err := add(fmt.Sprintf("categories.%s.sources[%d]", e.Name, j), src); err != nil {
				return nil, nil, err
			}
		}
	}
	for _, e := range c.Keywords {
		for j, src := range e.Value.Sources {
			if err := add(fmt.Sprintf("keywords.%s.sources[%d]", e.Name, j), config.Source{Path: src.Path, URL: src.URL, Line: src.Line}); err != nil {
				return nil, nil, err
			}
		}
	}
	return out, blobs, nil
}

// readList reads a list file, or a folder (a UT1 category) as a tar of
// its regular files, sorted, with no times or owners: the same folder
// always gives the same bytes.
func readList(path string) ([]byte, bool, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, false, err
	}
	if !fi.IsDir() {
		if fi.Size() > maxListBytes {
			return nil, false, fmt.Errorf("%s is larger than %d MiB", path, maxListBytes>>20)
		}
		b, err := os.ReadFile(path)
		return b, false, err
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return nil, false, err
	}
	var names []string
	for _, e := range entries {
		if fi, err := os.Stat(filepath.Join(path, e.Name())); err == nil && fi.Mode().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(path, n))
		if err != nil {
			return nil, false, err
		}
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return nil, false, err
		}
		if _, err := tw.Write(b); err != nil {
			return nil, false, err
		}
		if buf.Len() > maxListBytes {
			return nil, false, fmt.Errorf("%s is larger than %d MiB", path, maxListBytes>>20)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, false, err
	}
	return buf.Bytes(), true, nil
}

// writeLists writes the content of a version's lists under dir: a path:
// list as lists/HASH-NAME (a folder for an archive), a url: list as its copy in
// dir/cache, each written to a temporary name and renamed into place (a
// list already there, by name, is kept). It returns where each path:
// source now is, relative to dir.
func writeLists(ctx context.Context, st *store.Store, dir string, lists []store.PolicyList) (map[string]string, error) {
	local := map[string]string{}
	cache := filepath.Join(dir, "cache")
	for _, d := range []string{filepath.Join(dir, "lists"), cache} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, err
		}
	}
	for _, l := range lists {
		var target string
		if strings.HasPrefix(l.Source, "http://") || strings.HasPrefix(l.Source, "https://") {
			target = policy.CachePath(cache, l.Source)
			if b, err := os.ReadFile(target); err == nil && store.BlobHash(b) == l.Hash {
				continue
			}
		} else {
			rel := filepath.Join("lists", localListName(l))
			local[l.Source] = rel
			target = filepath.Join(dir, rel)
			if _, err := os.Stat(target); err == nil {
				continue
			}
		}
		data, err := st.ListBlob(ctx, l.Hash)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", l.Source, err)
		}
		if err := placeList(target, data, l.Archive); err != nil {
			return nil, fmt.Errorf("list %s: %w", l.Source, err)
		}
	}
	return local, nil
}

// localListName is a path: list's name in a local copy: its hash (the
// same content is one file), then the source's own name for the messages
// that name it.
func localListName(l store.PolicyList) string {
	base := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, filepath.Base(l.Source))
	return l.Hash + "-" + base
}

// placeList writes a list (or unpacks a folder) beside target, then
// renames it into place.
func placeList(target string, data []byte, archive bool) error {
	tmp := target + ".tmp"
	os.RemoveAll(tmp)
	if !archive {
		if err := os.WriteFile(tmp, data, 0o640); err != nil {
			return err
		}
		return os.Rename(tmp, target)
	}
	if err := os.MkdirAll(tmp, 0o750); err != nil {
		return err
	}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		name := filepath.Base(h.Name)
		if h.Typeflag != tar.TypeReg || name != h.Name || name == "." || name == ".." {
			return fmt.Errorf("archive entry %q is not a plain file name", h.Name)
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxListBytes))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(tmp, name), b, 0o640); err != nil {
			return err
		}
	}
	os.RemoveAll(target)
	return os.Rename(tmp, target)
}
