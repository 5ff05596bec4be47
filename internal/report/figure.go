package report

import (
	"encoding/json"
	"strconv"
)

// Threshold is the smallest count the report shows: a count from 1 to
// Threshold-1 shows as "fewer than 5".
const Threshold = 5

// Figure is one count as the report shows it. A suppressed figure has
// lost its value: nothing downstream (template, JSON, PDF) can print it.
type Figure struct {
	n     int64
	state figureState
}

type figureState uint8

const (
	shown    figureState = iota
	few                  // 1 to 4: "fewer than 5"
	withheld             // could reveal a suppressed figure by subtraction
)

// Shown is the figure's value, and false when it is suppressed.
func (f Figure) Shown() (int64, bool) { return f.n, f.state == shown }

// Suppressed says the figure is not shown.
func (f Figure) Suppressed() bool { return f.state != shown }

// Withheld says the figure is suppressed only so that a smaller one
// cannot be worked out from it (its value may be 5 or more).
func (f Figure) Withheld() bool { return f.state == withheld }

// String is the figure as printed.
func (f Figure) String() string {
	switch f.state {
	case few:
		return "fewer than 5"
	case withheld:
		return "withheld"
	}
	return strconv.FormatInt(f.n, 10)
}

// MarshalJSON writes a shown figure as a number and a suppressed one as
// its words.
func (f Figure) MarshalJSON() ([]byte, error) {
	if f.state == shown {
		return strconv.AppendInt(nil, f.n, 10), nil
	}
	return json.Marshal(f.String())
}
