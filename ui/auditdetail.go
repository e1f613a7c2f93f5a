package ui

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wardpolice/enroll"
)

// The audit trail keeps its details as written, in plain English, because it is evidence: what
// it says must not change with the reader's language. The browser shows them translated by
// matching the forms the station writes; anything else is shown as it is.
type detailForm struct {
	re   *regexp.Regexp
	key  string   // translation key, "auditd.*"
	args []string // the placeholders the groups fill, in order
}

// auditForms are the detail forms that store, ui and sync write; keep them in step.
func auditForms() []detailForm {
	f := func(re, key string, args ...string) detailForm {
		return detailForm{regexp.MustCompile("^" + re + "$"), key, args}
	}
	return []detailForm{
		// What a login found wrong with the audit (store/audithead.go's alarm forms).
		f(`an audit head file \(entry (\d+)\) exists but the database has no audit key: the keyed part of its audit was removed`,
			"auditd.alarm_no_key", "entry"),
		f(`entry (\d+) carries a MAC this station did not make: forged \(added behind its back after entry (\d+), the last its head file names\)`,
			"auditd.alarm_forged", "entry", "head"),
		f(`entry (\d+), written by this station while nobody was logged in, was changed in the database before this login could countersign it`,
			"auditd.alarm_changed_unsigned", "entry"),
		f(`the audit head file beside the database is missing \(deleted, or the database was copied without it\), though the trail has authenticated entries`,
			"auditd.alarm_head_missing"),
		f(`the audit head file is unreadable: (.+)`, "auditd.alarm_head_unreadable", "detail"),
		f(`the audit head file is not tagged by this station's audit key: forged, or another station's`, "auditd.alarm_head_foreign"),
		f(`rolled back or cut short: the audit head file says the trail reached entry (\d+), the database ends at (\d+) \(.*\)`,
			"auditd.alarm_cut", "head", "last"),
		f(`rolled back: the audit head file names this entry as authenticated, but in the database it carries no MAC \(.*\)`,
			"auditd.alarm_mac_stripped"),
		f(`rolled back: this is not the entry the audit head file names \(.*\)`, "auditd.alarm_other_entry"),
		f(`the audit head file was put back to an older copy: it says entry (\d+), but entry (\d+) records that the file had reached (\d+)`,
			"auditd.alarm_head_old", "head", "by", "reached"),
		f(`(\d+) records`, "auditd.records_count", "count"),
		f(`(\d+) verdicts from (.+)`, "auditd.verdicts_queued", "count", "source"),
		f(`step (\d+)`, "auditd.step", "step"),
		f(`station (.+); supervisor (.+)`, "auditd.station_init", "station", "user"),
		f(`station (.+)`, "auditd.station", "station"),
		f(`(\S+) as (officer|supervisor)`, "auditd.officer_as", "user", "role"),
		f(`unknown user name`, "auditd.unknown_user"),
		f(`account locked`, "auditd.account_locked"),
		f(`account disabled`, "auditd.account_disabled"),
		f(`wrong password \((\d+) in a row\)`, "auditd.wrong_password", "count"),
		f(`wrong password; locked for (\S+)`, "auditd.wrong_password_locked", "minutes"),
		f(`wrong recovery key`, "auditd.wrong_recovery_key"),
		f(`data opened with the recovery key`, "auditd.recovery_opened"),
		f(`personal data and biometrics deleted`, "auditd.purged"),
		f(`batch (\S+) #(\d+): (\d+) records, (\d+) bytes`, "auditd.batch_create", "batch", "seq", "count", "bytes"),
		f(`batch (\S+): (\d+) records`, "auditd.batch_upload", "batch", "count"),
		f(`batch (\S+) to (.+)`, "auditd.batch_export", "batch", "dir"),
		f(`batch (\S+): (.+)`, "auditd.batch_refused", "batch", "reason"),
		f(`(\w+) → (\w+)`, "auditd.status_move", "from", "to"),
		f(`finger (\d+) score (\d+): (.*)`, "auditd.finger_accept", "finger", "score", "reason"),
		f(`resume draft`, "auditd.resume_draft"),
		f(`receipt (open|print|save)`, "auditd.receipt", "how"),
		f(`recovery key sheet (open|print|save)`, "auditd.recovery_sheet", "how"),
		f(`written to (.+)`, "auditd.written_to", "path"),
		f(`idle`, "auditd.idle"),
		f(`theme (light|dark)`, "auditd.theme", "look"),
		f(`(\w+) (\d+)`, "auditd.setting", "setting", "value"),
	}
}

// auditDetail is an entry's detail in the officer's language.
func (s *Station) auditDetail(action, detail string) string {
	if detail == "" {
		return ""
	}
	if action == enroll.ActionAuditView {
		return s.filterDetail(detail)
	}
	// A login refused because an account was edited in the file: "officer U: what changed".
	if rest, ok := strings.CutPrefix(detail, "officer "); ok {
		user, text, _ := strings.Cut(rest, ": ")
		if user == "accounts" {
			user = ""
		}
		if what, ok := enroll.TamperFinding(text); ok {
			return s.tr.F("auditd.officer_tampered", map[string]any{"user": user, "what": s.tr.T(tamperKey(what))})
		}
	}
	for _, f := range s.auditForms {
		m := f.re.FindStringSubmatch(detail)
		if m == nil {
			continue
		}
		params := map[string]any{}
		for i, name := range f.args {
			params[name] = s.detailValue(name, m[i+1])
		}
		return s.tr.F(f.key, params)
	}
	return detail
}

// detailValue translates the values a form carries that have names of their own.
func (s *Station) detailValue(name, v string) any {
	n, _ := strconv.Atoi(v)
	switch name {
	case "step":
		return s.tr.F("auditd.step_name", map[string]any{"n": n + 1, "name": enroll.Step(n)})
	case "finger":
		return enroll.FingerPosition(n)
	case "role":
		return enroll.Role(v)
	case "from", "to":
		return enroll.Status(v)
	case "setting":
		return s.tr.T("setting." + v)
	case "how":
		return s.tr.T(documentHowKey(v))
	case "source":
		switch v {
		case "status":
			return s.tr.T("auditd.source_status")
		case "acknowledgement file":
			return s.tr.T("auditd.source_acknowledgement_file")
		}
	case "look":
		return s.tr.T(themeKey(v))
	case "minutes":
		if d, err := time.ParseDuration(v); err == nil {
			return int(d.Minutes())
		}
	}
	return v
}

// documentHowKey names what was done with a document: opened, printed or saved.
func documentHowKey(how string) string { return "document." + how }

// filterDetail shows what an audit browse looked for (filterText's "key=value" words) with the
// browser's own field names.
func (s *Station) filterDetail(detail string) string {
	var parts []string
	for _, w := range strings.Fields(detail) {
		k, v, ok := strings.Cut(w, "=")
		if !ok {
			return detail
		}
		switch k {
		case "action":
			v = s.tr.T("audit." + v)
		case "officer", "from", "to":
		default:
			return detail
		}
		parts = append(parts, s.tr.T("audit."+k)+": "+v)
	}
	return strings.Join(parts, "; ")
}
