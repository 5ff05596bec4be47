package cli

import (
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"time"

	"schoolgate/internal/proxy/pages"
	"schoolgate/internal/store"
)

// formTokenKey is the key that signs the block page's form tokens, kept in
// the store (made on first use) so that every node sharing the database
// accepts the forms the others showed, and never in the policy file.
func formTokenKey(st *store.Store) ([]byte, error) {
	if !st.Reachable() {
		// A node started without its database: a key of its own, so its
		// block page's forms work (until a restart with the database).
		key := make([]byte, 32)
		rand.Read(key)
		return key, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	key, err := st.Secret(ctx, pages.TokenKeyName, 32)
	if err != nil {
		return nil, fmt.Errorf("block page form key: %w", err)
	}
	return key, nil
}

// listenIf binds addr, or does nothing when it is empty (that listener is
// off).
func listenIf(addr, name string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s listener %s: %w", name, addr, err)
	}
	return ln, nil
}

func closeIf(ln net.Listener) {
	if ln != nil {
		ln.Close()
	}
}

func addrOf(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}
