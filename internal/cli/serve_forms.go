package cli

import (
	"context"
	"fmt"
	"time"

	"schoolgate/internal/proxy/pages"
	"schoolgate/internal/store"
)

// formTokenKey is the key that signs the block page's form tokens, kept in
// the store (made on first use) so that every node sharing the database
// accepts the forms the others showed, and never in the policy file.
func formTokenKey(st *store.Store) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	key, err := st.Secret(ctx, pages.TokenKeyName, 32)
	if err != nil {
		return nil, fmt.Errorf("block page form key: %w", err)
	}
	return key, nil
}
