//go:build tools

// The packages e2e/gateway/build-conformance.sh builds: the suite (go test -c) and the backend.
package tools

import (
	_ "sigs.k8s.io/gateway-api/conformance"
	_ "sigs.k8s.io/gateway-api/conformance/echo-basic"
)
