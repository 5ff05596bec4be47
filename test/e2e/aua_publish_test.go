package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"schoolgate/internal/store"
)

// TestProxyAUAPublishedVersion: the real binary. A pupil accepts version 1
// of the agreement (the policy file's); a new version published in the
// database (as the console's Acceptable use page does) takes precedence,
// and the pupil's next request through the proxy asks them to accept it.
func TestProxyAUAPublishedVersion(t *testing.T) {
	o := proxyStartOrigins(t)
	dir := t.TempDir()
	aua := filepath.Join(dir, "aua-pupils.txt")
	os.WriteFile(aua, []byte("I will be kind online.\n"), 0o644)
	in := proxyStart(t, "  auth: basic\n", "aua:\n  pupils: {version: \"v1\", file: "+aua+"}\n")
	in.cli(t, "Volcano-Lava-Magma-42\n", "users", "add", "amy", "--groups", "pupils", "--password-stdin", "--by", "admin")
	user := []string{"--proxy-user", "amy:Volcano-Lava-Magma-42"}
	site := "http://ok.test:" + o.http + "/start"
	accept := func(version, text string) {
		t.Helper()
		code, body, _ := in.curl(t, "127.0.0.2", append(user, site)...)
		if code != 200 || !strings.Contains(body, text) {
			t.Fatalf("agreement page for %s: %d\n%s", version, code, body)
		}
		action, form := pageForm(t, body, "aua")
		if form.Get("version") != version {
			t.Fatalf("agreement form: %v, want version %s", form, version)
		}
		if code, body, _ := in.curl(t, "127.0.0.2", append(user, append([]string{"-D", "-"}, curlForm(action, form)...)...)...); code != 303 {
			t.Fatalf("accept %s: %d\n%s", version, code, body)
		}
		if code, body, _ := in.curl(t, "127.0.0.2", append(user, site)...); code != 200 || !strings.Contains(body, "origin says hello") {
			t.Fatalf("after accepting %s: %d\n%s", version, code, body)
		}
	}
	accept("v1", "I will be kind online.")

	st, err := store.Open(context.Background(), store.Options{SQLitePath: filepath.Join(in.data, "schoolgate.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.PublishAUA(context.Background(), store.Actor{Name: "lead"},
		store.AUAVersion{Site: "school", Group: "pupils", Version: "v2", Text: "I will be kind online, and keep my password to myself."}); err != nil {
		t.Fatal(err)
	}
	// Every node reads the published versions again within seconds.
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body, _ := in.curl(t, "127.0.0.2", append(user, site)...)
		if code == 200 && strings.Contains(body, "keep my password to myself") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pupil who accepted v1 is not asked to accept v2: %d\n%s", code, body)
		}
		time.Sleep(500 * time.Millisecond)
	}
	accept("v2", "keep my password to myself")
}
