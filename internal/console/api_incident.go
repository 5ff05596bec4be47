package console

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// apiIncidentEntry is one line of an incident's history.
type apiIncidentEntry struct {
	ID     int64           `json:"id"`
	At     string          `json:"at"`
	By     string          `json:"by"`
	Kind   string          `json:"kind"`
	Text   string          `json:"text"`
	Reason string          `json:"reason,omitempty"`
	Data   json.RawMessage `json:"data,omitempty"`
}

// apiEvidence is a copied item.
type apiEvidence struct {
	ID      int64           `json:"id"`
	Kind    string          `json:"kind"`
	Ref     string          `json:"ref"`
	AddedBy string          `json:"added_by"`
	AddedAt string          `json:"added_at"`
	Copied  json.RawMessage `json:"copied"`
}

// apiIncidentFull is one incident: as it stands, as first written, its
// history and evidence.
type apiIncidentFull struct {
	apiIncidentRow
	Original *apiIncidentRow    `json:"original,omitempty"`
	Entries  []apiIncidentEntry `json:"entries"`
	Evidence []apiEvidence      `json:"evidence"`
}

// rawJSON is s when it is JSON (a status entry's outcome is text).
func rawJSON(s string) json.RawMessage {
	if s == "" {
		return nil
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(s)
	return b
}

// apiIncident is one incident (the view audited by the domain layer).
func (c *Console) apiIncident(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		c.apiNotFound(w, r, v)
		return
	}
	in, err := c.inc.Get(r.Context(), v.actor, id)
	if err != nil {
		c.apiDomainError(w, r, err, "")
		return
	}
	out := apiIncidentFull{apiIncidentRow: toAPIIncident(in), Entries: []apiIncidentEntry{}, Evidence: []apiEvidence{}}
	if !in.Restricted {
		orig := in
		orig.Current = in.Incident
		o := toAPIIncident(orig)
		out.Original = &o
	}
	for _, e := range in.Entries {
		out.Entries = append(out.Entries, apiIncidentEntry{ID: e.ID, At: e.At.UTC().Format(time.RFC3339), By: e.By, Kind: e.Kind, Text: e.Text,
			Reason: e.Reason, Data: rawJSON(e.Data)})
	}
	for _, ev := range in.Evidence {
		out.Evidence = append(out.Evidence, apiEvidence{ID: ev.ID, Kind: ev.Kind, Ref: ev.Ref, AddedBy: ev.AddedBy,
			AddedAt: ev.AddedAt.UTC().Format(time.RFC3339), Copied: rawJSON(ev.Copied)})
	}
	writeJSON(w, http.StatusOK, out)
}

// apiIncidentAction appends an action: {"action": "..."} → 201 the entry.
func (c *Console) apiIncidentAction(w http.ResponseWriter, r *http.Request, v *visit) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		c.apiNotFound(w, r, v)
		return
	}
	var b struct {
		Action string `json:"action"`
	}
	if fe := decodeJSON(r, &b); fe != nil {
		apiField(w, fe)
		return
	}
	if len(b.Action) > maxIncidentText {
		apiField(w, fieldErr("action", "%d characters at most", maxIncidentText))
		return
	}
	e, err := c.inc.AddAction(r.Context(), v.actor, id, b.Action)
	if err != nil {
		c.apiDomainError(w, r, err, "action")
		return
	}
	writeJSON(w, http.StatusCreated, apiIncidentEntry{ID: e.ID, At: e.At.UTC().Format(time.RFC3339), By: e.By, Kind: e.Kind, Text: e.Text})
}
