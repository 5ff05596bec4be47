package subject

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"time"
)

// WriteZIP writes the export as one ZIP: export.json (everything, for a
// machine) and index.html (the same, for a person).
func (e *Export) WriteZIP(w io.Writer) error {
	zw := zip.NewWriter(w)
	add := func(name string, write func(io.Writer) error) error {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: e.Generated})
		if err != nil {
			return err
		}
		return write(f)
	}
	if err := add("export.json", func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(e)
	}); err != nil {
		return fmt.Errorf("subject export: %w", err)
	}
	if err := add("index.html", func(w io.Writer) error { return indexPage.Execute(w, e) }); err != nil {
		return fmt.Errorf("subject export: %w", err)
	}
	return zw.Close()
}

var indexPage = template.Must(template.New("index").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2 Jan 2006 15:04 UTC")
	},
	"json": func(v any) string {
		b, _ := json.MarshalIndent(v, "", "  ")
		return string(b)
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>What Schoolgate holds about {{.Person.Username}}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#111}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #bbb;padding:.3em .5em;text-align:left;vertical-align:top}
pre{white-space:pre-wrap;margin:0;font-size:13px}h2{margin-top:2em}.note{color:#444}</style></head><body>
<h1>What Schoolgate holds about {{.Person.Username}}</h1>
<p class="note">Made {{when .Generated}}{{with .Request}} for the request received {{when .ReceivedAt}}{{end}}.
Other people are named by their role ("another pupil", "a member of staff"). The activity log is included from {{when .ActivityFrom}}, as far back as the school keeps it.</p>
<h2>Your details</h2>
<table>
<tr><th>Username</th><td>{{.Person.Username}}</td></tr>
<tr><th>Name</th><td>{{.Person.DisplayName}}</td></tr>
<tr><th>Roles</th><td>{{range $i, $r := .Person.Roles}}{{if $i}}, {{end}}{{$r}}{{end}}</td></tr>
<tr><th>Year group</th><td>{{.Person.YearGroup}}</td></tr>
<tr><th>E-mail</th><td>{{.Person.Email}}</td></tr>
<tr><th>Groups</th><td>{{range $i, $g := .Person.Groups}}{{if $i}}, {{end}}{{$g}}{{end}}</td></tr>
<tr><th>Date of birth</th><td>{{.Person.DateOfBirth}}</td></tr>
</table>
{{range .Sections}}<h2>{{.Title}}</h2>
{{if .Items}}<table><tr><th>When</th><th>What</th><th>Details</th></tr>
{{range .Items}}<tr><td>{{when .At}}</td><td>{{.Title}}</td><td><pre>{{json .Data}}</pre></td></tr>
{{end}}</table>{{else}}<p>Nothing held.</p>{{end}}
{{end}}
{{if .Withheld}}<h2>Withheld</h2>
<p>Some information was not released, under an exemption of the Data Protection Act 2018:</p>
<ul>{{range .Withheld}}<li>{{.Item}}: {{.Exemption}}</li>{{end}}</ul>{{end}}
</body></html>
`))
