package enroll

import "time"

// Audit actions: what the trail records. Each is also a translation key ("audit.<action>").
const (
	ActionLogin           = "login"
	ActionLoginFailed     = "login_failed"
	ActionLogout          = "logout"
	ActionOfficerCreate   = "officer_create"
	ActionRecordCreate    = "record_create"
	ActionRecordEdit      = "record_edit"
	ActionRecordComplete  = "record_complete"
	ActionRecordView      = "record_view"
	ActionDraftDelete     = "draft_delete"
	ActionFingerAccept    = "finger_accept"
	ActionStationInit     = "station_init"
	ActionPasswordChange  = "password_change"
	ActionOfficerReset    = "officer_reset"
	ActionOfficerDisable  = "officer_disable"
	ActionOfficerEnable   = "officer_enable"
	ActionRecovery        = "recovery"
	ActionSessionLock     = "session_lock"
	ActionRecordDelivered = "record_delivered"
	ActionPurge           = "purge"
	ActionSettingChange   = "setting_change"
	ActionAuditView       = "audit_view"
	// ActionDuplicateOverride: a supervisor started a new enrollment for an ID number that
	// already has a record on the station, with a reason.
	ActionDuplicateOverride = "duplicate_override"
	// ActionRecordCorrect: a saved record not yet sent was reopened for correction, with a reason.
	ActionRecordCorrect = "record_correct"
	// ActionRecordReviewed: a supervisor looked at a record's excused or accepted fingers.
	ActionRecordReviewed = "record_reviewed"
	// ActionReceiptPrint: a receipt was written out (opened, printed or saved).
	ActionReceiptPrint = "receipt_print"
	// ActionAuditAlarm: at a login the station found its audit damaged (the database older
	// than its head file, an entry changed before it could be countersigned …), recorded
	// before the head file is rewritten so that the evidence stays.
	ActionAuditAlarm = "audit_alarm"
)

// AuditActions lists every action, for the browser's filter.
func AuditActions() []string {
	actions := []string{ActionLogin, ActionLoginFailed, ActionLogout, ActionSessionLock, ActionRecordCreate, ActionRecordEdit,
		ActionRecordComplete, ActionRecordView, ActionDraftDelete, ActionFingerAccept, ActionRecordDelivered, ActionPurge,
		ActionStationInit, ActionOfficerCreate, ActionOfficerReset, ActionOfficerDisable, ActionOfficerEnable,
		ActionPasswordChange, ActionRecovery, ActionSettingChange, ActionAuditView,
		ActionProvision, ActionBatchCreate, ActionBatchUpload, ActionBatchRefused, ActionBatchExport, ActionAckImport,
		ActionRecordStatus, ActionDuplicateOverride, ActionRecordCorrect, ActionRecordReviewed, ActionReceiptPrint, ActionAuditAlarm}
	return append(actions, KeyAuditActions()...)
}

// AuditFilter selects trail entries for the supervisor's browser. Zero fields do not filter.
type AuditFilter struct {
	Officer  string
	Action   string
	RecordID string
	From, To time.Time // at or after From, before To
	Limit    int       // default 200
}

// AuditEntry is one line of the trail.
type AuditEntry struct {
	Seq      int64
	At       time.Time
	Officer  string
	Action   string
	RecordID string
	Detail   string
	PrevHash []byte
	Hash     []byte
}
