package enroll

import (
	"image"
	"sync"
	"sync/atomic"
)

// FramePool lends a camera's stream picture buffers of one size and takes them back when
// every holder has released them. A 640×480 preview at 25 frames a second would otherwise
// allocate 30 MB a second; on this class of machine the fresh memory's zeroing and page
// faults cost more than rendering or decoding the frames themselves.
type FramePool struct {
	rect image.Rectangle
	mu   sync.Mutex
	free []*image.RGBA
	// keep is how many idle pictures the pool holds on to: framesKept while a stream runs,
	// none once Drain was called (until the next Lend).
	keep int
	lent atomic.Int64 // pictures out with a holder
}

// framesKept bounds the idle buffers a pool keeps: the camera's frame in flight, the one
// shown, the one measured, and slack for a consumer that releases late.
const framesKept = 6

// lease counts a lent picture's holders.
type lease struct {
	pool *FramePool
	refs atomic.Int32
}

// NewFramePool makes a pool of pictures the size of r.
func NewFramePool(r image.Rectangle) *FramePool { return &FramePool{rect: r} }

// Lend returns a frame whose picture belongs to the caller until released; its pixels are
// whatever the previous holder left.
func (p *FramePool) Lend() Frame {
	p.mu.Lock()
	var img *image.RGBA
	if n := len(p.free); n > 0 {
		img, p.free = p.free[n-1], p.free[:n-1]
	}
	p.keep = framesKept
	p.mu.Unlock()
	if img == nil {
		img = image.NewRGBA(p.rect)
	}
	p.lent.Add(1)
	l := &lease{pool: p}
	l.refs.Store(1)
	return Frame{Image: img, lease: l}
}

// Idle is the number of pictures waiting in the pool (for tests and the bench table).
func (p *FramePool) Idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.free)
}

// Lent is the number of pictures out with holders: what a consumer that falls behind makes
// the pool allocate (for tests and the bench table).
func (p *FramePool) Lent() int { return int(p.lent.Load()) }

func (p *FramePool) give(img *image.RGBA) {
	p.lent.Add(-1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.free) < p.keep {
		p.free = append(p.free, img)
	}
}

// Drain lets go of the idle pictures, and of those still lent as they come back: a camera
// calls it when its last stream stops, so that a preview left behind holds no frames (about
// 1.2 MB each at 640×480) while the officer works on other steps.
func (p *FramePool) Drain() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.free)
	p.free, p.keep = nil, 0
}

// Retain adds a holder: a frame handed to a second consumer (the face checks beside the
// preview) is retained for it, and each holder releases it once.
func (f Frame) Retain() Frame {
	if f.lease != nil {
		f.lease.refs.Add(1)
	}
	return f
}

// Release gives up one hold; the last one returns the picture to its pool. Frames not from
// a pool, and the zero Frame, ignore it. A holder must not read the picture after releasing
// it: the camera may already be drawing the next frame into it.
func (f Frame) Release() {
	if f.lease != nil && f.lease.refs.Add(-1) == 0 {
		f.lease.pool.give(f.Image)
	}
}
