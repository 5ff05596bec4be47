package store

import "strings"

// joinList and splitList store string lists as comma-joined text (group and
// category names never hold commas).
func joinList(xs []string) string { return strings.Join(xs, ",") }

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
