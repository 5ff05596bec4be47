package console

import "net/http"

// personEnable enables a disabled account again.
func (c *Console) personEnable(w http.ResponseWriter, r *http.Request, v *visit) {
	c.setDisabled(w, r, v, false)
}
