package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/wardpolice/enroll"
)

// Languages the station speaks; Vietnamese is the default.
const (
	LangVI = "vi"
	LangEN = "en"
)

// Translator looks up officer-facing text in the current language. It is ours rather than
// Fyne's lang package because officers switch language while the app runs, and Fyne's picks
// the operating system's locale once per process.
type Translator struct {
	lang     string
	catalogs map[string]map[string]string
	// missed are keys looked up that the language lacks; tests walk the screens and read it.
	missed map[string]bool
}

// NewTranslator loads every <lang>.json catalog from fsys.
func NewTranslator(fsys fs.FS, lang string) (*Translator, error) {
	t := &Translator{catalogs: map[string]map[string]string{}}
	for _, l := range []string{LangVI, LangEN} {
		b, err := fs.ReadFile(fsys, l+".json")
		if err != nil {
			return nil, fmt.Errorf("load %s translations: %w", l, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("load %s translations: %w", l, err)
		}
		t.catalogs[l] = m
	}
	return t, t.SetLang(lang)
}

// SetLang switches language.
func (t *Translator) SetLang(lang string) error {
	if _, ok := t.catalogs[lang]; !ok {
		return fmt.Errorf("no translations for language %q", lang)
	}
	t.lang = lang
	return nil
}

// Lang is the current language code.
func (t *Translator) Lang() string { return t.lang }

// T returns the text for key. A missing key shows as the key itself, which the catalog tests
// catch before an officer ever sees it.
func (t *Translator) T(key string) string {
	if s, ok := t.catalogs[t.lang][key]; ok {
		return s
	}
	if t.missed == nil {
		t.missed = map[string]bool{}
	}
	t.missed[t.lang+":"+key] = true
	return key
}

// Missed lists the keys looked up that a catalog lacks, as "lang:key", sorted.
func (t *Translator) Missed() []string {
	var out []string
	for k := range t.missed {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// F fills the text's {name} placeholders; Translatable values are translated too.
func (t *Translator) F(key string, params map[string]any) string {
	return enroll.Fill(t.T(key), params, t.render)
}

func (t *Translator) render(v any) string {
	switch x := v.(type) {
	case *enroll.FieldError:
		return t.FieldMessage(x)
	case enroll.Translatable:
		return t.T(x.TranslationKey())
	}
	return fmt.Sprint(v)
}

// Device is a capture device's name for the screen: a reader's or camera's model name as the
// device gives it, but the simulators' names in the officer's language.
func (t *Translator) Device(name string) string {
	if s, ok := t.catalogs[t.lang]["device.name."+name]; ok {
		return s
	}
	return name
}

// W translates a domain value (a status, a finger, a gender).
func (t *Translator) W(x enroll.Translatable) string { return t.T(x.TranslationKey()) }

// Err turns any error into a message for the officer, in the current language, that says what
// is wrong and, where it can, what to do.
func (t *Translator) Err(err error) string {
	if err == nil {
		return ""
	}
	var verrs enroll.ValidationErrors
	if errors.As(err, &verrs) {
		lines := make([]string, len(verrs))
		for i, e := range verrs {
			lines[i] = t.fieldErr(e)
		}
		return strings.Join(lines, "\n")
	}
	if fe, ok := enroll.AsFieldError(err); ok {
		return t.fieldErr(fe)
	}
	if lo := (*enroll.LockedOut)(nil); errors.As(err, &lo) {
		return t.F("err.locked_until", map[string]any{"time": lo.Until.Local().Format("15:04")})
	}
	for sentinel, key := range map[error]string{
		enroll.ErrNoFinger:         "err.no_finger",
		enroll.ErrDeviceGone:       "err.device_gone",
		enroll.ErrDeviceBusy:       "err.device_busy",
		enroll.ErrNoPermission:     "err.no_permission",
		enroll.ErrCaptureTimeout:   "err.capture_timeout",
		enroll.ErrNoPrintProgram:   "err.no_print_program",
		enroll.ErrPrinterRefused:   "err.printer_refused",
		enroll.ErrNoViewer:         "err.no_viewer",
		enroll.ErrBadLogin:         "err.bad_login",
		enroll.ErrDisabled:         "err.disabled",
		enroll.ErrLockedOut:        "err.locked_out",
		enroll.ErrOfficerExists:    "err.officer_exists",
		enroll.ErrStationLocked:    "err.station_locked",
		enroll.ErrBadRecoveryKey:   "err.bad_recovery_key",
		enroll.ErrNotSupervisor:    "err.not_supervisor",
		enroll.ErrSelfDisable:      "err.self_disable",
		enroll.ErrLastSupervisor:   "err.last_supervisor",
		enroll.ErrUnknownOfficer:   "err.unknown_officer",
		enroll.ErrNotDeliverable:   "err.not_deliverable",
		enroll.ErrRecordNotFound:   "err.record_not_found",
		enroll.ErrNotDraft:         "err.not_draft",
		enroll.ErrStillDraft:       "err.still_draft",
		enroll.ErrAlreadySent:      "err.already_sent",
		enroll.ErrReasonRequired:   "err.reason_required",
		enroll.ErrNotInReview:      "err.not_in_review",
		enroll.ErrImageMissing:     "err.image_missing",
		enroll.ErrRecordTampered:   "err.record_tampered",
		enroll.ErrSettingTampered:  "err.setting_tampered",
		enroll.ErrPurgeUnfinished:  "err.purge_unfinished",
		enroll.ErrDiskFull:         "err.disk_full",
		enroll.ErrDatabaseReadOnly: "err.database_read_only",
		enroll.ErrDatabaseDamaged:  "err.database_damaged",

		enroll.ErrNotProvisioned:        "err.not_provisioned",
		enroll.ErrProvisionFile:         "err.provision_file",
		enroll.ErrProvisionUsed:         "err.provision_used",
		enroll.ErrProvisionUnreadable:   "err.provision_unreadable",
		enroll.ErrCentralUnreachable:    "err.central_unreachable",
		enroll.ErrCentralBusy:           "err.central_busy",
		enroll.ErrCentralRefusedStation: "err.central_refused_station",
		enroll.ErrWrongCentral:          "err.wrong_central",
		enroll.ErrSyncRunning:           "err.sync_running",

		enroll.ErrOfficerTampered:    "err.officer_tampered",
		enroll.ErrRotationUnfinished: "err.rotation_unfinished",
		enroll.ErrRecoverySlotOld:    "err.recovery_slot_old",
	} {
		if errors.Is(err, sentinel) {
			return t.T(key)
		}
	}
	return t.F("err.unexpected", map[string]any{"detail": err.Error()})
}

// FieldMessage is the message for one field error without the field's name, for showing
// right under that field.
func (t *Translator) FieldMessage(fe *enroll.FieldError) string {
	return t.F("err."+fe.Code, fe.Params)
}

func (t *Translator) fieldErr(fe *enroll.FieldError) string {
	return t.T("field."+string(fe.Field)) + ": " + t.FieldMessage(fe)
}

// keys lists a language's keys, for tests.
func (t *Translator) keys(lang string) []string {
	var ks []string
	for k := range t.catalogs[lang] {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
