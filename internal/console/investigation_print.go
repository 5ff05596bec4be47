package console

import "net/http"

// investigationPrintView is the printable Appendix G form.
type investigationPrintView struct {
	investigationView
	Printed string
}

func (investigationPrintView) title() string { return "Printable investigation record" }

// investigationPrint is the record as the seeds' Appendix G form, with
// the signatures and their times, for printing (audited as a view).
func (c *Console) investigationPrint(w http.ResponseWriter, r *http.Request, v *visit) {
	id, ok := investigationID(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	view, err := c.investigationModel(r, v, id)
	if err != nil {
		c.investigationFail(w, r, v, 0, err)
		return
	}
	c.render(w, r, http.StatusOK, "investigation_print", v, investigationPrintView{investigationView: view, Printed: view.At(c.now())})
}
