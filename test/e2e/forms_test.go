package e2e

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	e2eFormRe   = regexp.MustCompile(`(?s)<form method="post" action="([^"]*)"[^>]*>(.*?)</form>`)
	e2eHiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
)

// pageForm returns the address and hidden fields (its token among them)
// of a shown page's form for action (request, concern, continue, aua).
func pageForm(t *testing.T, page, action string) (string, url.Values) {
	t.Helper()
	for _, m := range e2eFormRe.FindAllStringSubmatch(page, -1) {
		a := html.UnescapeString(m[1])
		if !strings.HasSuffix(a, "/.schoolgate/"+action) {
			continue
		}
		v := url.Values{}
		for _, h := range e2eHiddenRe.FindAllStringSubmatch(m[2], -1) {
			v.Set(h[1], html.UnescapeString(h[2]))
		}
		return a, v
	}
	t.Fatalf("no %s form in the page:\n%s", action, page)
	return "", nil
}

// curlForm is curl's arguments to post form, with extra fields set, to
// action.
func curlForm(action string, form url.Values, extra ...string) []string {
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	var args []string
	for k, vs := range f {
		for _, v := range vs {
			args = append(args, "--data-urlencode", k+"="+v)
		}
	}
	return append(args, action)
}
