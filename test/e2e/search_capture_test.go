package e2e

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSearchCapture: a pupil's search on each engine, sent through the
// real proxy over plain HTTP, over inspected HTTPS, and to an engine that
// does not answer at all, reaches the activity log with its terms.
func TestSearchCapture(t *testing.T) {
	o := proxyStartOrigins(t)
	// A port where nothing listens: the engine is unreachable.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := proxyPort("http://" + l.Addr().String())
	l.Close()
	engines := []string{"www.ecosia.org", "search.yahoo.com", "uk.search.yahoo.com", "www.startpage.com", "search.brave.com",
		"www.kiddle.co", "www.qwant.com", "www.mojeek.com", "www.ask.com", "search.aol.com", "en.wikipedia.org", "duckduckgo.com", "www.bing.com"}
	hosts := "www.google.com: 127.0.0.1"
	for _, h := range engines {
		hosts += ", " + h + ": 127.0.0.1"
	}
	policy := strings.Replace(proxyPolicyBase, "www.google.com: 127.0.0.1", hosts, 1) +
		"  allow_destinations: [127.0.0.0/8]\n  connect_ports: [443, " + o.https + "]\n  inspect: [pupils]\n"
	in := proxyStartPolicy(t, policy, "SSL_CERT_FILE="+o.caFile)
	caPEM := filepath.Join(t.TempDir(), "school-ca.pem")
	os.WriteFile(caPEM, []byte(in.cli(t, "", "ca", "export")), 0o644)

	searches := []struct {
		url, term string
		reached   bool // the engine answers
	}{
		{"http://www.ecosia.org:" + o.http + "/search?q=ecosia+rainforest", "ecosia rainforest", true},
		{"https://www.ecosia.org:" + o.https + "/images?q=ecosia%20sloths", "ecosia sloths", true},
		{"http://search.yahoo.com:" + o.http + "/search?p=yahoo+egyptian+gods", "yahoo egyptian gods", true},
		{"https://uk.search.yahoo.com:" + o.https + "/search?p=yahoo+roman+roads", "yahoo roman roads", true},
		{"https://www.startpage.com:" + o.https + "/sp/search?query=startpage+solar+system", "startpage solar system", true},
		{"http://www.startpage.com:" + o.http + "/do/search?q=startpage+moon", "startpage moon", true},
		{"https://search.brave.com:" + o.https + "/search?q=brave+photosynthesis", "brave photosynthesis", true},
		{"http://www.kiddle.co:" + o.http + "/s.php?q=kiddle+dinosaurs", "kiddle dinosaurs", true},
		{"https://www.qwant.com:" + o.https + "/?q=qwant+glaciers", "qwant glaciers", true},
		{"https://www.mojeek.com:" + o.https + "/search?q=mojeek+castles", "mojeek castles", true},
		{"https://www.ask.com:" + o.https + "/web?q=ask+sea+salt", "ask sea salt", true},
		{"https://search.aol.com:" + o.https + "/aol/search?q=aol+weather", "aol weather", true},
		{"https://en.wikipedia.org:" + o.https + "/w/index.php?search=wikipedia+vikings", "wikipedia vikings", true},
		{"https://www.google.com:" + o.https + "/search?q=google+volcanoes", "google volcanoes", true},
		{"https://duckduckgo.com:" + o.https + "/?q=duckduckgo+rivers", "duckduckgo rivers", true},
		{"https://www.bing.com:" + o.https + "/search?q=bing+fractions", "bing fractions", true},
		// Nothing answers: the term is still captured.
		{"http://search.brave.com:" + dead + "/search?q=brave+unanswered", "brave unanswered", false},
		{"http://www.ecosia.org:" + dead + "/search?q=ecosia+unanswered", "ecosia unanswered", false},
	}
	for _, s := range searches {
		code, body, _ := in.curl(t, "127.0.0.2", "--cacert", caPEM, s.url)
		if s.reached && (code != 200 || !strings.Contains(body, "origin says hello")) {
			t.Errorf("%s: %d %q", s.url, code, body)
		}
		if !s.reached && code != 502 {
			t.Errorf("%s: %d, want 502 (unreachable)", s.url, code)
		}
	}
	// The activity log is written in batches: wait for every term.
	var missing []string
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		out := in.cli(t, "", "activity", "search", "--client", "127.0.0.2", "--format", "json", "--limit", "-1", "--by", "dsl")
		got := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var e struct{ Search string }
			if line != "" {
				if err := json.Unmarshal([]byte(line), &e); err != nil {
					t.Fatalf("%v: %s", err, line)
				}
			}
			got[e.Search] = true
		}
		missing = missing[:0]
		for _, s := range searches {
			if !got[s.term] {
				missing = append(missing, s.term)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(missing) > 0 {
		t.Errorf("search terms not in the activity log: %q", missing)
	}
}
