package tracing

import (
	"go.opentelemetry.io/otel/sdk/resource"
)

// serviceResource describes this process: its service name on top of the
// SDK's defaults (SDK version, and what OTEL_RESOURCE_ATTRIBUTES adds).
func serviceResource(name string) *resource.Resource {
	r, err := resource.Merge(resource.Default(), resource.NewSchemaless(serviceNameKey.String(name)))
	if err != nil { // only on conflicting schema URLs, which a schemaless resource never has
		return resource.Default()
	}
	return r
}
