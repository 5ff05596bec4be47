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

// unavailableMessage answers what needs the database while it does not
// answer (503).
const unavailableMessage = "The database is not answering, so this cannot be done now; filtering goes on. Try again once it is back."

// unavailable reports whether the database does not answer.
func (c *Console) unavailable() bool { return c.st != nil && !c.st.Reachable() }
