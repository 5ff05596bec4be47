package store

import "strings"

// reverseHost turns a host into the form the activity log indexes: its
// labels in reverse order, each followed by a dot ("www.example.com" is
// "com.example.www."), lower case. A host and all its subdomains are then
// the one key range [r, r with its last '.' replaced by '/'), since '/'
// follows '.' in byte order, and no other host falls in it
// ("com.example-shop." and "com.examples." sort outside). An empty host
// stays empty.
func reverseHost(host string) string {
	host = strings.ToLower(strings.TrimRight(host, "."))
	if host == "" {
		return ""
	}
	b := make([]byte, 0, len(host)+1)
	for end := len(host); end >= 0; {
		start := strings.LastIndexByte(host[:end], '.') + 1
		b = append(b, host[start:end]...)
		b = append(b, '.')
		end = start - 1
	}
	return string(b)
}

// hostRange is the key range of host and its subdomains in reversed form:
// from (inclusive) and to (exclusive). ok is false for an empty host.
func hostRange(host string) (from, to string, ok bool) {
	from = reverseHost(host)
	if from == "" {
		return "", "", false
	}
	return from, from[:len(from)-1] + "/", true
}
