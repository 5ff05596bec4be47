package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"schoolgate/internal/config"
	"schoolgate/internal/listsync"
	"schoolgate/internal/policy"
	"schoolgate/internal/store"
)

// listsUpdatePushed is `lists update --pushed`: the url: lists of the
// policy versions in the database (the trust's newest and each school's)
// downloaded here, centrally, and stored as blobs; a version whose lists
// changed gets a new version with the same file, which the nodes load
// (they never download lists themselves).
func listsUpdatePushed(ctx context.Context, a *App, cf *commonFlags, force bool, by string) error {
	st, err := policyDB(ctx, a, cf, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	var latest []store.PolicyVersion
	if v, err := st.LatestPolicy(ctx, store.PolicyTrust, ""); err == nil {
		latest = append(latest, v)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	sites, err := st.PolicySites(ctx)
	if err != nil {
		return err
	}
	for _, site := range sites {
		v, err := st.LatestPolicy(ctx, store.PolicySchool, site)
		if err != nil {
			return err
		}
		latest = append(latest, v)
	}
	if len(latest) == 0 {
		return fmt.Errorf("no policy versions in the database: push one first (schoolgate policy push -c FILE)")
	}
	cacheDir := policy.CacheDir(&config.Config{}, cf.data)
	u := &listsync.Updater{CacheDir: cacheDir, Progress: a.Stderr, Force: force}
	var errs []error
	for _, v := range latest {
		cfg, err := versionConfig(ctx, st, v)
		if err != nil {
			errs = append(errs, fmt.Errorf("version %d (%s): %w", v.ID, versionScope(v), err))
			continue
		}
		res, err := u.Update(ctx, cfg)
		printListResults(a, res)
		if err != nil {
			errs = append(errs, err)
		}
		lists, blobs, changed, err := refreshURLLists(cfg, cacheDir, v.Lists)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if changed == 0 {
			fmt.Fprintf(a.Stdout, "version %d (%s): lists unchanged\n", v.ID, versionScope(v))
			continue
		}
		next := v
		next.Lists, next.Note = lists, fmt.Sprintf("lists update: %d url: lists changed", changed)
		nv, err := st.PushPolicy(ctx, cliActor(a, by), next, blobs)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(a.Stdout, "pushed version %d (%s): %d url: lists changed\n", nv.ID, versionScope(nv), changed)
	}
	return errors.Join(errs...)
}

// versionConfig loads a stored version's file (from a temporary copy with
// its lists) to read its url: sources.
func versionConfig(ctx context.Context, st *store.Store, v store.PolicyVersion) (*config.Config, error) {
	tmp, err := os.MkdirTemp("", "schoolgate-lists-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	local, err := writeLists(ctx, st, tmp, v.Lists)
	if err != nil {
		return nil, err
	}
	text, err := (&config.Node{}).ApplyNode([]byte(v.Content), config.NodeRewrite{Lists: local, CacheDir: tmp})
	if err != nil {
		return nil, err
	}
	return config.Parse(fmt.Sprintf("version %d", v.ID), tmp+"/policy.yaml", text)
}

// refreshURLLists returns lists with each url: source's entry set to the
// copy now in the cache, the content of those that changed, and how many
// did.
func refreshURLLists(c *config.Config, cacheDir string, lists []store.PolicyList) ([]store.PolicyList, map[string][]byte, int, error) {
	out := append([]store.PolicyList(nil), lists...)
	index := map[string]int{}
	for i, l := range out {
		index[l.Source] = i
	}
	blobs := map[string][]byte{}
	changed := 0
	var urls []string
	for _, e := range c.Categories {
		for _, s := range e.Value.Sources {
			urls = append(urls, s.URL)
		}
	}
	for _, e := range c.Keywords {
		for _, s := range e.Value.Sources {
			urls = append(urls, s.URL)
		}
	}
	for _, url := range urls {
		if url == "" {
			continue
		}
		data, err := os.ReadFile(policy.CachePath(cacheDir, url))
		if errors.Is(err, fs.ErrNotExist) {
			continue // never downloaded: the version keeps what it has
		}
		if err != nil {
			return nil, nil, 0, err
		}
		h := store.BlobHash(data)
		i, ok := index[url]
		switch {
		case ok && out[i].Hash == h:
			continue
		case ok:
			out[i].Hash = h
		default:
			index[url] = len(out)
			out = append(out, store.PolicyList{Source: url, Hash: h})
		}
		blobs[h] = data
		changed++
	}
	return out, blobs, changed, nil
}
