package main

import "testing"

func TestPrintableHidesTerminalControls(t *testing.T) {
	got := printable("Nguyễn\x1b[2J\x07 Văn\nA")
	if got != "Nguyễn\uFFFD[2J\uFFFD Văn\uFFFDA" {
		t.Fatalf("printable = %q", got)
	}
}
