package console

import (
	_ "embed"
	"net/http"
)

// openAPI is the API's OpenAPI 3.1 document, written by hand; a test
// keeps it and the route table in step.
//
//go:embed openapi.json
var openAPI []byte

// apiOpenAPI serves the OpenAPI document.
func (c *Console) apiOpenAPI(w http.ResponseWriter, r *http.Request, v *visit) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(openAPI)
}
