package proxy

import (
	"net/url"
	"testing"
)

// TestSearchTerms: the query of each engine's search pages is captured
// from the request URL; other pages and parameters of the same sites,
// and look-alike hosts, are not searches.
func TestSearchTerms(t *testing.T) {
	cases := []struct {
		url, want string
	}{
		{"https://www.google.com/search?q=volcanoes+ks2&safe=active", "volcanoes ks2"},
		{"https://www.google.co.uk/search?tbm=isch&q=tudor+houses", "tudor houses"},
		{"https://www.google.com/complete/search?q=how+to&client=gws", "how to"},
		{"https://www.google.com/maps?q=london", ""},
		{"https://www.bing.com/search?q=fractions", "fractions"},
		{"https://www.bing.com/images/search?q=owls", "owls"},
		{"https://www.youtube.com/results?search_query=minecraft+tutorial", "minecraft tutorial"},
		{"https://www.youtube.com/watch?v=abc&search_query=x", ""},
		{"https://duckduckgo.com/?q=rivers&kp=1", "rivers"},
		{"https://html.duckduckgo.com/html/?q=rivers", "rivers"},
		{"https://www.ecosia.org/search?q=rainforest+animals&method=index", "rainforest animals"},
		{"https://www.ecosia.org/images?q=sloths", "sloths"},
		{"https://www.ecosia.org/settings?q=x", ""},
		{"https://search.yahoo.com/search?p=egyptian+gods&fr=yfp", "egyptian gods"},
		{"https://uk.search.yahoo.com/search?p=roman+roads", "roman roads"},
		{"https://images.search.yahoo.com/search/images?p=volcano", "volcano"},
		{"https://search.yahoo.com/search?q=not+the+parameter", ""},
		{"https://www.startpage.com/sp/search?query=solar+system", "solar system"},
		{"https://www.startpage.com/do/search?q=solar+system", "solar system"},
		{"https://www.startpage.com/do/dsearch?query=moon&cat=web", "moon"},
		{"https://www.startpage.com/sp/search?query=&q=fallback", "fallback"},
		{"https://search.brave.com/search?q=photosynthesis&source=web", "photosynthesis"},
		{"https://search.brave.com/images?q=leaves", "leaves"},
		{"https://brave.com/search?q=x", ""},
		{"https://www.kiddle.co/s.php?q=dinosaurs", "dinosaurs"},
		{"https://www.qwant.com/?q=glaciers&t=web", "glaciers"},
		{"https://www.mojeek.com/search?q=castles", "castles"},
		{"https://www.ask.com/web?q=why+is+the+sea+salty", "why is the sea salty"},
		{"https://search.aol.com/aol/search?q=weather", "weather"},
		{"https://en.wikipedia.org/w/index.php?search=Anglo-Saxons&title=Special%3ASearch", "Anglo-Saxons"},
		{"https://en.wikipedia.org/wiki/Special:Search?search=Vikings", "Vikings"},
		{"https://en.wikipedia.org/wiki/Vikings?search=x", ""},
		{"https://notecosia.org/search?q=x", ""},
		{"https://ecosia.org.evil.test/search?q=x", ""},
		{"https://example.com/search?q=x", ""},
		{"https://www.ecosia.org/search", ""},
	}
	for _, c := range cases {
		u, err := url.Parse(c.url)
		if err != nil {
			t.Fatal(err)
		}
		host, err := normalize(u.Hostname())
		if err != nil {
			t.Fatal(err)
		}
		if got := searchTerms(host, u); got != c.want {
			t.Errorf("searchTerms(%s) = %q, want %q", c.url, got, c.want)
		}
	}
}
