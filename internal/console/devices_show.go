package console

import (
	"errors"
	"net/http"
	"time"

	"schoolgate/internal/store"
)

// devicesView is the devices signed in through the proxy's log-in, and
// the filter.
type devicesView struct {
	Form    devicesForm
	Devices []deviceRow
	// Off: this process holds no proxy log-ins (no proxy here).
	Off    bool
	Notice string
	Error  string
}

type deviceRow struct {
	Addr         string
	Username     string
	DisplayName  string
	Since, Until time.Time
	Portal       bool // signed in on the devices' sign-in page, not the proxy
}

func (devicesView) title() string { return "Devices" }

// devicesShow lists the devices signed in now; the view is audited with
// the people it names.
func (c *Console) devicesShow(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	view := devicesView{Form: devicesForm{Person: q.Get("person"), Addr: q.Get("addr")}, Notice: devicesNotice(q.Get("done"))}
	status := http.StatusOK
	if err := view.Form.Validate(); err != nil {
		view.Error, status = err.Error(), http.StatusUnprocessableEntity
	}
	c.showDevices(w, r, v, status, view)
}

func (c *Console) showDevices(w http.ResponseWriter, r *http.Request, v *visit, status int, view devicesView) {
	ctx := r.Context()
	if c.devs == nil {
		view.Off = true
		c.render(w, r, status, "devices", v, view)
		return
	}
	loc := c.location()
	names := map[string]string{}
	var shown named
	for _, d := range c.devs.List() {
		name, seen := names[d.User]
		if !seen {
			u, err := c.st.GetUser(ctx, d.User)
			switch {
			case err == nil:
				name = u.DisplayName
			case errors.Is(err, store.ErrNotFound): // a policy users: entry, not in the directory
			default:
				c.fail(w, r, v, err)
				return
			}
			names[d.User] = name
		}
		if view.Error != "" || !view.Form.matches(d.Addr, d.User, name) {
			continue
		}
		view.Devices = append(view.Devices, deviceRow{Addr: d.Addr.String(), Username: d.User, DisplayName: name,
			Since: d.Since.In(loc), Until: d.Until.In(loc), Portal: d.Portal})
		shown.add(d.User)
	}
	if err := c.auditVisit(r, v, "console.devices.view", "devices", map[string]any{"person": view.Form.Person, "addr": view.Form.Addr, "users": shown.users}); err != nil {
		c.fail(w, r, v, err)
		return
	}
	c.render(w, r, status, "devices", v, view)
}

func devicesNotice(done string) string {
	if done == "ended" {
		return "Sign-in ended. The device is filtered by its network again, at once."
	}
	return ""
}
