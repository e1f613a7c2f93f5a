package receipt

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestRecoverySheet(t *testing.T) {
	const key = "K7QM-3XD9-AB12-CD34-EF56-GH78-JK90-MN12"
	for _, lang := range []string{"vi", "en"} {
		var b bytes.Buffer
		err := WriteRecoveryKey(&b, RecoverySheet{Office: "Công an phường Khâm Thiên", Station: "HN-DD-KT-01",
			Supervisor: "Nguyễn Thị Lan (lan.nt)", At: time.Date(2026, 11, 30, 9, 5, 0, 0, time.UTC), Key: key, Lang: lang},
			catalogTexts(t, lang))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "sheet.pdf")
		if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		text := run(t, "pdftotext", "-layout", path, "-")
		for _, want := range []string{key, "HN-DD-KT-01", "Nguyễn Thị Lan", "30/11/2026 09:05", "CÔNG AN PHƯỜNG KHÂM THIÊN"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s sheet lacks %q:\n%s", lang, want, text)
			}
		}
		if info := run(t, "pdfinfo", path); !regexp.MustCompile(`(?m)^Pages:\s+1$`).MatchString(info) {
			t.Errorf("%s sheet is not one page:\n%s", lang, info)
		}
	}
	if err := WriteRecoveryKey(&bytes.Buffer{}, RecoverySheet{}, catalogTexts(t, "vi")); err == nil {
		t.Error("a sheet without a key was written")
	}
}
