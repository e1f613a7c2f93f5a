// Package memtrim hands memory the station no longer uses back to the system: the Go heap's
// free pages and the C allocator's (Mesa's textures and buffers for screens no longer shown).
// Neither runtime does it soon by itself, and a station waits at its login window for hours.
package memtrim

/*
#include <malloc.h>
*/
import "C"

import "runtime/debug"

// Now collects, returns the Go heap's free pages and trims the C heap. It costs a full
// collection: for moments like a logout, not for every frame.
func Now() {
	debug.FreeOSMemory()
	C.malloc_trim(0)
}
