package api

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"sort"

	"github.com/gin-gonic/gin"
)

// openAPIFiles are the OpenAPI 3 document in parts: base.json (info, security, shared
// components) and one file per area (identity.json, …) with its paths and schemas.
// TestOpenAPIMatchesRoutes keeps the whole in step with the routes.
//
//go:embed openapi/*.json
var openAPIFiles embed.FS

// openAPIDocument merges the parts into one document.
func openAPIDocument() ([]byte, error) {
	var doc map[string]any
	b, err := fs.ReadFile(openAPIFiles, "openapi/base.json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("openapi/base.json: %w", err)
	}
	paths := doc["paths"].(map[string]any)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	names, err := fs.Glob(openAPIFiles, "openapi/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, name := range names {
		if name == "openapi/base.json" {
			continue
		}
		var part struct {
			Paths      map[string]any `json:"paths"`
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		b, err := fs.ReadFile(openAPIFiles, name)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(b, &part); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for p := range part.Paths {
			if _, dup := paths[p]; dup {
				return nil, fmt.Errorf("%s: path %s is documented twice", name, p)
			}
		}
		for s := range part.Components.Schemas {
			if _, dup := schemas[s]; dup {
				return nil, fmt.Errorf("%s: schema %s is defined twice", name, s)
			}
		}
		maps.Copy(paths, part.Paths)
		maps.Copy(schemas, part.Components.Schemas)
	}
	return json.MarshalIndent(doc, "", " ")
}

func handleOpenAPI(doc []byte) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Data(http.StatusOK, "application/json", doc)
	}
}
