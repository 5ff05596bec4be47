package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"schoolgate/internal/safetext"
)

// safe is text a user controls (a reason, a name, a URL) made safe for a
// terminal: its control characters shown escaped, never sent raw.
func safe(s string) string { return safetext.Terminal(s) }

// safeLines is safe for a message of several lines: each line's controls
// are escaped, the line breaks between them kept.
func safeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = safe(l)
	}
	return strings.Join(lines, "\n")
}

// csvWriter writes CSV for a spreadsheet: every cell goes through
// safetext.CSVCell (formulas defused, controls escaped).
type csvWriter struct{ w *csv.Writer }

func newCSV(w io.Writer) *csvWriter { return &csvWriter{csv.NewWriter(w)} }

func (c *csvWriter) Write(cells []string) error {
	out := make([]string, len(cells))
	for i, s := range cells {
		out[i] = safetext.CSVCell(s)
	}
	return c.w.Write(out)
}

func (c *csvWriter) Flush()       { c.w.Flush() }
func (c *csvWriter) Error() error { return c.w.Error() }

// newJSON is a JSON encoder for output a terminal may show: C1 controls
// and direction overrides, which encoding/json leaves raw, are escaped.
func newJSON(w io.Writer) *json.Encoder { return json.NewEncoder(safetext.JSONWriter(w)) }

// writeJSONLines writes each element of list as one JSON object a line.
func writeJSONLines[T any](w io.Writer, list []T) error {
	enc := newJSON(w)
	for _, v := range list {
		if err := enc.Encode(v); err != nil {
			return err
		}
	}
	return nil
}

// flagValue is a flag's name and the value given for it.
type flagValue struct{ name, v string }

// requireFlags fails with a usage error naming every flag left empty.
func requireFlags(usage string, flags ...flagValue) error {
	var missing []string
	for _, f := range flags {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: missing %s\n%s", ErrUsage, strings.Join(missing, ", "), usage)
	}
	return nil
}
