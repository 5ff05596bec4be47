package proxy

import (
	"net/http"
	"net/url"
	"strings"

	"schoolgate/internal/policy"
)

// searchEngine is a site whose queries are logged and whose SafeSearch is
// forced.
type searchEngine int

const (
	notSearch searchEngine = iota
	google
	bing
	youtube
	duckduckgo
)

// engineOf recognises the search engines by host.
func engineOf(host string) searchEngine {
	h := strings.TrimPrefix(host, "www.")
	switch {
	case h == "bing.com" || strings.HasSuffix(h, ".bing.com"):
		return bing
	case h == "duckduckgo.com" || strings.HasSuffix(h, ".duckduckgo.com"):
		return duckduckgo
	case h == "youtube.com" || h == "m.youtube.com" || h == "music.youtube.com" || h == "youtube-nocookie.com":
		return youtube
	}
	// google.com, google.co.uk, google.de ...
	if i := strings.Index(h, "google."); i == 0 || (i > 0 && h[i-1] == '.') {
		return google
	}
	return notSearch
}

// searchTerms returns the search query in u, if u is a search on a known
// engine.
func searchTerms(host string, u *url.URL) string {
	e := engineOf(host)
	if e == notSearch || u.RawQuery == "" {
		return ""
	}
	q := u.Query()
	switch e {
	case google:
		if strings.HasPrefix(u.Path, "/search") || u.Path == "/complete/search" {
			return q.Get("q")
		}
	case bing:
		if strings.HasPrefix(u.Path, "/search") || strings.HasPrefix(u.Path, "/images/search") || strings.HasPrefix(u.Path, "/videos/search") {
			return q.Get("q")
		}
	case youtube:
		if u.Path == "/results" {
			return q.Get("search_query")
		}
	case duckduckgo:
		if u.Path == "/" || u.Path == "/html/" || u.Path == "/html" {
			return q.Get("q")
		}
	}
	return ""
}

// stageSafeSearch rewrites an allowed search request per the visitor's
// groups.
func stageSafeSearch(c *conn, r *request) action {
	enforceSafeSearch(r.req, r.snap.SafeSearch(r.v.Groups))
	return next
}

// enforceSafeSearch rewrites a search request per the group's SafeSearch
// setting: Google safe=active, Bing adlt=strict (or moderate), DuckDuckGo
// kp=1 (or -1), and YouTube's YouTube-Restrict header.
func enforceSafeSearch(req *http.Request, ss policy.SafeSearch) {
	if ss == policy.SafeSearchOff {
		return
	}
	host, err := normalize(req.URL.Hostname())
	if err != nil {
		return
	}
	set := func(k, v string) {
		q := req.URL.Query()
		q.Set(k, v)
		req.URL.RawQuery = q.Encode()
	}
	switch engineOf(host) {
	case google:
		set("safe", "active")
	case bing:
		if ss == policy.SafeSearchStrict {
			set("adlt", "strict")
		} else {
			set("adlt", "moderate")
		}
	case duckduckgo:
		if ss == policy.SafeSearchStrict {
			set("kp", "1")
		} else {
			set("kp", "-1")
		}
	case youtube:
		if ss == policy.SafeSearchStrict {
			req.Header.Set("YouTube-Restrict", "Strict")
		} else {
			req.Header.Set("YouTube-Restrict", "Moderate")
		}
	}
}
