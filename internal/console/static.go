package console

import (
	"embed"
	"net/http"
)

//go:embed static
var staticFS embed.FS

// static serves the embedded stylesheet.
func (c *Console) static(w http.ResponseWriter, r *http.Request, _ *visit) {
	name := r.PathValue("file")
	b, err := staticFS.ReadFile("static/" + name)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if len(name) > 4 && name[len(name)-4:] == ".css" {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	}
	if len(name) > 3 && name[len(name)-3:] == ".js" {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(b)
}
