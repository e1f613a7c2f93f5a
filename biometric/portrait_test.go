package biometric

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

func TestCropPortraitCentre(t *testing.T) {
	// A 1280x960 still with a marker at the centre: the crop must keep it centred.
	src := image.NewRGBA(image.Rect(0, 0, 1280, 960))
	for y := 470; y < 490; y++ {
		for x := 630; x < 650; x++ {
			src.Set(x, y, color.RGBA{255, 0, 0, 255})
		}
	}
	crop, err := CropPortraitCentre(src)
	if err != nil {
		t.Fatal(err)
	}
	if crop.Bounds().Dx() != PortraitWidth || crop.Bounds().Dy() != PortraitHeight {
		t.Fatalf("crop is %v", crop.Bounds())
	}
	if r, _, _, _ := crop.At(PortraitWidth/2, PortraitHeight/2).RGBA(); r < 0x8000 {
		t.Errorf("centre marker lost: %v", crop.At(PortraitWidth/2, PortraitHeight/2))
	}
	b, err := EncodePortraitJPEG(crop)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil || cfg.Width != PortraitWidth || cfg.Height != PortraitHeight {
		t.Errorf("jpeg %+v %v", cfg, err)
	}
	if _, err := CropPortraitCentre(image.NewRGBA(image.Rect(0, 0, 10, 10))); err == nil {
		t.Error("tiny image accepted")
	}
}
