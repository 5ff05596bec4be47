package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// writeJSONLines writes each element of list as one JSON object a line.
func writeJSONLines[T any](w io.Writer, list []T) error {
	enc := json.NewEncoder(w)
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
