package proxy

import (
	"net/http"
	"net/url"
	"strings"

	"schoolgate/internal/policy"
)

// searchEngine is a site whose queries are logged (and, for the first
// four, whose SafeSearch is forced).
type searchEngine int

const (
	notSearch searchEngine = iota
	google
	bing
	youtube
	duckduckgo
	ecosia
	yahoo
	startpage
	brave
	kiddle
	qwant
	mojeek
	ask
	aol
	wikipedia
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
	case h == "ecosia.org":
		return ecosia
	case h == "search.yahoo.com" || strings.HasSuffix(h, ".search.yahoo.com"): // uk., images., video.
		return yahoo
	case h == "startpage.com" || h == "eu.startpage.com" || h == "us.startpage.com":
		return startpage
	case h == "search.brave.com":
		return brave
	case h == "kiddle.co":
		return kiddle
	case h == "qwant.com" || h == "lite.qwant.com":
		return qwant
	case h == "mojeek.com" || h == "mojeek.co.uk":
		return mojeek
	case h == "ask.com":
		return ask
	case h == "search.aol.com" || h == "search.aol.co.uk":
		return aol
	case strings.HasSuffix(h, ".wikipedia.org"):
		return wikipedia
	}
	// google.com, google.co.uk, google.de ...
	if i := strings.Index(h, "google."); i == 0 || (i > 0 && h[i-1] == '.') {
		return google
	}
	return notSearch
}

// searchPage is where an engine takes its query: the request paths (a
// trailing "*" matches any path beginning so) and the query parameters
// that carry the terms, first found first.
type searchPage struct {
	paths  []string
	params []string
}

var searchPages = map[searchEngine]searchPage{
	google:     {[]string{"/search*", "/complete/search"}, []string{"q"}},
	bing:       {[]string{"/search*", "/images/search*", "/videos/search*"}, []string{"q"}},
	youtube:    {[]string{"/results"}, []string{"search_query"}},
	duckduckgo: {[]string{"/", "/html/", "/html"}, []string{"q"}},
	ecosia:     {[]string{"/search", "/images", "/videos", "/news"}, []string{"q"}},
	yahoo:      {[]string{"/search*"}, []string{"p"}},
	startpage:  {[]string{"/sp/search", "/do/search", "/do/dsearch", "/search"}, []string{"query", "q"}},
	brave:      {[]string{"/search", "/images", "/videos", "/news"}, []string{"q"}},
	kiddle:     {[]string{"/s.php", "/i.php", "/v.php", "/n.php"}, []string{"q"}},
	qwant:      {[]string{"/"}, []string{"q"}},
	mojeek:     {[]string{"/search"}, []string{"q"}},
	ask:        {[]string{"/web"}, []string{"q"}},
	aol:        {[]string{"/aol/search", "/aol/image", "/aol/video"}, []string{"q"}},
	wikipedia:  {[]string{"/w/index.php", "/wiki/Special:Search"}, []string{"search"}},
}

// searchTerms returns the search query in u, if u is a search on a known
// engine. It reads the URL the proxy sees (plain HTTP, or HTTPS it
// inspects), so a term is captured whether or not the engine answers.
func searchTerms(host string, u *url.URL) string {
	e := engineOf(host)
	if e == notSearch || u.RawQuery == "" {
		return ""
	}
	page := searchPages[e]
	matched := false
	for _, p := range page.paths {
		if prefix, ok := strings.CutSuffix(p, "*"); ok && strings.HasPrefix(u.Path, prefix) || p == u.Path {
			matched = true
			break
		}
	}
	if !matched {
		return ""
	}
	q := u.Query()
	for _, k := range page.params {
		if v := q.Get(k); v != "" {
			return v
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
