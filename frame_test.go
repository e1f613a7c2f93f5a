package enroll

import (
	"image"
	"testing"
)

func TestFramePoolLendsBackOnlyAfterTheLastRelease(t *testing.T) {
	p := NewFramePool(image.Rect(0, 0, 8, 6))
	a := p.Lend()
	if a.Image.Rect != image.Rect(0, 0, 8, 6) {
		t.Fatalf("lent picture %v, want 8x6", a.Image.Rect)
	}
	measured := a.Retain()
	a.Release()
	if p.Idle() != 0 {
		t.Fatal("picture back in the pool while the measurement still holds it")
	}
	if b := p.Lend(); b.Image == a.Image {
		t.Fatal("a held picture was lent again")
	}
	measured.Release()
	if p.Idle() != 1 {
		t.Fatalf("%d idle after the last release, want 1", p.Idle())
	}
	if c := p.Lend(); c.Image != a.Image {
		t.Fatal("released picture not reused")
	}
}

func TestFramePoolKeepsABoundedNumber(t *testing.T) {
	p := NewFramePool(image.Rect(0, 0, 2, 2))
	var lent []Frame
	for range 3 * framesKept {
		lent = append(lent, p.Lend())
	}
	for _, f := range lent {
		f.Release()
	}
	if p.Idle() != framesKept {
		t.Fatalf("%d idle pictures, want at most %d", p.Idle(), framesKept)
	}
}

func TestFramesOutsideAPoolIgnoreReleases(t *testing.T) {
	var zero Frame
	zero.Retain().Release()
	zero.Release()
	f := Frame{Image: image.NewRGBA(image.Rect(0, 0, 1, 1))}
	f.Retain()
	f.Release()
	f.Release()
}

func TestReleasingTooOftenDoesNotLendTwice(t *testing.T) {
	p := NewFramePool(image.Rect(0, 0, 2, 2))
	a := p.Lend()
	a.Release()
	a.Release() // a bug in a consumer; the pool must not hold the picture twice
	if p.Idle() != 1 {
		t.Fatalf("%d idle pictures after a double release, want 1", p.Idle())
	}
}
