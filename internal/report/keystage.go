package report

import (
	"strconv"
	"strings"

	"schoolgate/internal/identity"
)

// The groups the report counts incidents by: key stages from the pupils'
// year groups, then staff and unknown.
var stageLabels = []string{
	"Early years (nursery, reception)",
	"Key stage 1 (years 1–2)",
	"Key stage 2 (years 3–6)",
	"Key stage 3 (years 7–9)",
	"Key stage 4 (years 10–11)",
	"Key stage 5 (years 12–13)",
	"Staff",
	"Unknown (no year group, or someone from outside)",
}

// Indexes into stageLabels.
const (
	stageEarly   = 0
	stageStaff   = 6
	stageUnknown = 7
)

// keyStage places a person: a pupil or visitor by year group ("Y7", "7",
// "Year 7", "R", "N"), anyone holding another role as staff.
func keyStage(roles []identity.Role, yearGroup string) int {
	for _, r := range roles {
		if r != identity.RolePupil && r != identity.RoleVisitor {
			return stageStaff
		}
	}
	y := strings.ToUpper(strings.TrimSpace(yearGroup))
	y = strings.TrimPrefix(y, "YEAR")
	y = strings.TrimPrefix(y, "Y")
	y = strings.TrimSpace(y)
	switch y {
	case "R", "N", "REC", "RECEPTION", "NURSERY", "EYFS":
		return stageEarly
	}
	n, err := strconv.Atoi(y)
	switch {
	case err != nil:
		return stageUnknown
	case n >= 1 && n <= 2:
		return 1
	case n >= 3 && n <= 6:
		return 2
	case n >= 7 && n <= 9:
		return 3
	case n >= 10 && n <= 11:
		return 4
	case n >= 12 && n <= 13:
		return 5
	}
	return stageUnknown
}
