package console

import "time"

// degraded is the banner's text while the database does not answer ("":
// none). Pages that need the database fail with their usual error; this
// says why.
func (c *Console) degraded() string {
	if c.st == nil {
		return ""
	}
	h := c.st.Health()
	if h.Reachable {
		return ""
	}
	return "Degraded: the database has not answered since " + h.Since.Format(time.TimeOnly) +
		". Filtering goes on with the last policy, users and overrides; changes made here cannot be saved until it returns."
}
