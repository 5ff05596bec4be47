package console

import "net/http"

// apiTrustSummary is the trust dashboard as JSON.
func (c *Console) apiTrustSummary(w http.ResponseWriter, r *http.Request, v *visit) {
	view, err := c.trustSummary(r.Context())
	if err != nil {
		c.apiFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view)
}
