package fetch

import (
	"encoding/json"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Tool names, the TypeScript server's, so existing policies apply.
const (
	FetchToolName  = "http_fetch"
	SearchToolName = "web_search"
)

// Tools returns the definitions of the tools New registers: name,
// description, input schema and hints. Each call returns fresh values.
func Tools() []*mcp.Tool {
	return []*mcp.Tool{fetchTool(), searchTool()}
}

func fetchTool() *mcp.Tool {
	return &mcp.Tool{
		Name: FetchToolName,
		Description: "Fetch a URL with HTTP GET. Returns the status, the final URL after redirects, " +
			"the content type and the body. HTML is converted to markdown (default) or plain text; " +
			"format html returns it unconverted. Binary content is described, not returned. " +
			"Only public http and https addresses can be fetched.",
		Annotations: &mcp.ToolAnnotations{
			Title:          "Fetch a URL",
			ReadOnlyHint:   true,
			IdempotentHint: true,
			OpenWorldHint:  new(true),
		},
		InputSchema: &jsonschema.Schema{
			Type:          "object",
			PropertyOrder: []string{"url", "headers", "max_length", "format", "timeout"},
			Properties: map[string]*jsonschema.Schema{
				"url": {
					Type:        "string",
					Description: "The http or https URL to fetch",
				},
				"headers": {
					Type:                 "object",
					AdditionalProperties: &jsonschema.Schema{Type: "string"},
					Description:          "HTTP request headers; only " + strings.Join(allowedHeaders, ", ") + " may be set",
				},
				"max_length": {
					Type:        "number",
					Default:     json.RawMessage(`5000`),
					Description: "Maximum length of the returned body in characters; longer output is cut with a marker",
				},
				"format": {
					Type:        "string",
					Enum:        formats,
					Default:     json.RawMessage(`"markdown"`),
					Description: "Output format for HTML: markdown (default), text (tags stripped), or html (unconverted)",
				},
				"timeout": {
					Type:        "number",
					Default:     json.RawMessage(`30`),
					Description: "Request timeout in seconds; it can lower the server's limit but not raise it",
				},
			},
			Required:             []string{"url"},
			AdditionalProperties: falseSchema(),
		},
	}
}

func searchTool() *mcp.Tool {
	return &mcp.Tool{
		Name:        SearchToolName,
		Description: "Search the web with the configured search service and return its results as text.",
		Annotations: &mcp.ToolAnnotations{
			Title:          "Web search",
			ReadOnlyHint:   true,
			IdempotentHint: true,
			OpenWorldHint:  new(true),
		},
		InputSchema: &jsonschema.Schema{
			Type:          "object",
			PropertyOrder: []string{"query", "max_results"},
			Properties: map[string]*jsonschema.Schema{
				"query": {
					Type:        "string",
					Description: "The search query",
				},
				"max_results": {
					Type:        "number",
					Default:     json.RawMessage(`5`),
					Description: "Maximum number of results to return (1-20)",
				},
			},
			Required:             []string{"query"},
			AdditionalProperties: falseSchema(),
		},
	}
}

// falseSchema is JSON Schema's false: the server rejects unknown
// arguments, and the schema says so.
func falseSchema() *jsonschema.Schema { return &jsonschema.Schema{Not: &jsonschema.Schema{}} }
