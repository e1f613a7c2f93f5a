package main

import (
	"strings"
	"testing"

	"github.com/wardpolice/enroll"
)

// TestAggregateReasons: the text beside a reason's count in central status reads whole for
// every reason code: no empty "()" or dangling ":" where one record's detail would go.
func TestAggregateReasons(t *testing.T) {
	for _, code := range enroll.ReasonCodes() {
		s := aggregateReason(code)
		if s == "" || strings.Contains(s, "()") || strings.Contains(s, "{") || strings.HasSuffix(strings.TrimSpace(s), ":") {
			t.Errorf("%s: %q", code, s)
		}
	}
}
